"""HubSpot signature checks (v1, v2, v3), with `hubspot-api-client` as the independent oracle."""

import json
import time

import pytest
from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature

from icefloe.ingestion.providers import hubspot
from icefloe.ingestion.providers.base import WebhookRejected

SECRET = "hs-client-secret-1"
URI = "https://hooks.example.com/webhooks/hubspot?portal=62515"
BODY = ('[{"eventId":1001,"subscriptionType":"contact.creation","objectId":123,"occurredAt":1700000000000},'
        ' {"eventId":1002,"subscriptionType":"deal.propertyChange","objectId":456,"propertyValue":"M\u00fcller"}]')


def now_ms() -> str:
    return str(int(time.time() * 1000))


def sdk_headers(version: str, body: str = BODY, uri: str = URI, secret: str = SECRET, method: str = "POST",
                timestamp: str | None = None) -> dict[str, str]:
    if version == "v3":
        timestamp = timestamp or now_ms()
        sig = Signature.get_signature(secret, body, "v3", http_uri=uri, http_method=method, timestamp=timestamp)
        return {"x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": timestamp}
    sig = Signature.get_signature(secret, body, version, http_uri=uri, http_method=method)
    return {"x-hubspot-signature": sig, "x-hubspot-signature-version": version}


def verify(headers, body: str = BODY, uri: str = URI, method: str = "POST", **kw) -> str:
    return hubspot.verify(body.encode(), headers, method, uri, [SECRET.encode()], **kw)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_signature_made_by_the_hubspot_sdk_is_accepted(version):
    assert verify(sdk_headers(version)) == version


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_the_hubspot_sdk_accepts_what_our_signer_produces(version):
    ts = now_ms()
    ours = hubspot.sign(version, SECRET.encode(), BODY.encode(), "POST", URI, ts)
    assert Signature.is_valid(ours, SECRET, BODY, URI, "POST", version, ts)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_tampered_body_is_rejected_401(version):
    with pytest.raises(WebhookRejected) as exc:
        verify(sdk_headers(version), body=BODY.replace("123", "124"))
    assert (exc.value.status, exc.value.reason) == (401, "bad_signature")


@pytest.mark.parametrize("version", ["v2", "v3"])
@pytest.mark.parametrize("uri", [URI.replace("62515", "1"), URI.replace("https", "http")])
def test_signature_binds_the_uri(version, uri):
    with pytest.raises(WebhookRejected) as exc:
        verify(sdk_headers(version), uri=uri)
    assert exc.value.status == 401 and "ICEFLOE_PUBLIC_BASE_URL" in exc.value.detail


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_signature_binds_the_method(version):
    with pytest.raises(WebhookRejected):
        verify(sdk_headers(version), method="PUT")


def test_v3_signature_binds_the_timestamp():
    headers = sdk_headers("v3")
    headers["x-hubspot-request-timestamp"] = str(int(headers["x-hubspot-request-timestamp"]) + 1)
    with pytest.raises(WebhookRejected) as exc:
        verify(headers)
    assert exc.value.reason == "bad_signature"


def test_v3_older_than_five_minutes_is_401_with_the_reason():
    stale = str(int((time.time() - 301) * 1000))
    with pytest.raises(WebhookRejected) as exc:
        verify(sdk_headers("v3", timestamp=stale))
    assert (exc.value.status, exc.value.reason) == (401, "stale_timestamp")
    assert "older than 300 s" in exc.value.detail
    with pytest.raises(InvalidSignatureTimestampError):  # the SDK refuses it too
        Signature.is_valid(sdk_headers("v3", timestamp=stale)["x-hubspot-signature-v3"], SECRET, BODY, URI,
                           "POST", "v3", stale)


def test_v3_just_inside_the_window_is_accepted():
    verify(sdk_headers("v3", timestamp=str(int((time.time() - 290) * 1000))))


def test_v3_uri_escapes_are_decoded_as_hubspot_does_before_signing():
    # HubSpot signs the URI with %3A, %2F, %40 ... decoded; a request arrives with them encoded
    signed = "https://hooks.example.com/webhooks/hubspot?next=https://x.test/a@b,c"
    received = "https://hooks.example.com/webhooks/hubspot?next=https%3A%2F%2Fx.test%2fa%40b%2Cc"
    verify(sdk_headers("v3", uri=signed), uri=received)


def test_any_configured_secret_verifies_during_rotation():
    hubspot.verify(BODY.encode(), sdk_headers("v3"), "POST", URI, [b"new-secret", SECRET.encode()])


def test_versions_can_be_restricted_to_v3():
    with pytest.raises(WebhookRejected) as exc:
        verify(sdk_headers("v1"), versions=("v3",))
    assert exc.value.reason == "signature_version_not_allowed"
    assert "ICEFLOE_HUBSPOT_SIGNATURE_VERSIONS" in exc.value.detail


@pytest.mark.parametrize("headers", [
    {}, {"x-hubspot-signature-v3": "abc"},
    {"x-hubspot-signature-v3": "abc", "x-hubspot-request-timestamp": "yesterday"},
    {"x-hubspot-signature": "abc", "x-hubspot-signature-version": "v9"}])
def test_missing_or_malformed_signature_headers_are_401(headers):
    with pytest.raises(WebhookRejected) as exc:
        verify(headers)
    assert exc.value.status == 401


def test_each_event_keeps_its_exact_bytes_from_the_array():
    body = '[ {"eventId": 1, "subscriptionType": "contact.creation", "objectId": 7, "x": "a\\u00e9\\"]"} ,\n' \
           '{"eventId":2,"subscriptionType":"nope.creation","objectId":8}, 3 ]'
    evs = hubspot.events(body.encode(), json.loads(body))
    assert [e.value for e in evs] == [
        b'{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 7, "x": "a\\u00e9\\"]"}',
        b'{"eventId":2,"subscriptionType":"nope.creation","objectId":8}', b"3"]
    assert [(e.delivery_id, e.provider_topic) for e in evs[:2]] == [("1", "contact.creation"), ("2", "nope.creation")]
    assert evs[2].dead_letter_reason == "not_an_event_object"


def test_a_body_that_is_not_an_array_is_one_dead_letter_event():
    [ev] = hubspot.events(b'{"eventId": 1}', {"eventId": 1})
    assert ev.dead_letter_reason == "not_an_array" and ev.value == b'{"eventId": 1}'
