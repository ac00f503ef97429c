"""Stripe signature checks, with the official `stripe` SDK as the independent oracle."""

import time

import pytest
import stripe as stripe_sdk

from icefloe.ingestion.providers import stripe
from icefloe.ingestion.providers.base import WebhookRejected

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
BODY = '{"id":"evt_1","type":"charge.succeeded","data":{"object":{"id":"ch_1","amount":1999,"note":"caf\u00e9"}}}'


def sdk_header(body: str = BODY, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    return {"stripe-signature": stripe_sdk.WebhookSignature.generate_signature_header(body, secret, timestamp)}


def test_signature_made_by_the_stripe_sdk_is_accepted():
    assert stripe.verify(BODY.encode(), sdk_header(), [SECRET.encode()], 300) > 0


def test_any_configured_secret_verifies_during_rotation():
    stripe.verify(BODY.encode(), sdk_header(secret=OLD_SECRET), [SECRET.encode(), OLD_SECRET.encode()], 300)


def test_header_with_several_v1_signatures_is_accepted_when_any_matches():
    t = int(time.time())
    sig_new = stripe_sdk.WebhookSignature._compute_signature(f"{t}.{BODY}", SECRET)
    header = {"stripe-signature": f"t={t},v1={'0' * 64},v1={sig_new},v0=deadbeef"}
    stripe.verify(BODY.encode(), header, [SECRET.encode()], 300)


def test_the_stripe_sdk_accepts_the_header_our_signer_produces():
    header = stripe.signature_header(BODY.encode(), [SECRET.encode(), OLD_SECRET.encode()])
    assert stripe_sdk.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=300)
    assert stripe_sdk.WebhookSignature.verify_header(BODY, header, OLD_SECRET, tolerance=300)


@pytest.mark.parametrize("body", [BODY + " ", BODY.replace("1999", "1"), ""])
def test_tampered_body_is_rejected_401(body):
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(body.encode(), sdk_header(), [SECRET.encode()], 300)
    assert (exc.value.status, exc.value.reason) == (401, "bad_signature")


def test_signature_under_an_unknown_secret_is_rejected_401():
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), sdk_header(secret="whsec_attacker"), [SECRET.encode()], 300)
    assert exc.value.status == 401


def test_re_signing_a_new_timestamp_without_the_secret_fails():
    old = sdk_header(timestamp=int(time.time()) - 10)["stripe-signature"]
    forged = {"stripe-signature": f"t={int(time.time())}," + old.split(",", 1)[1]}
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), forged, [SECRET.encode()], 300)
    assert exc.value.reason == "bad_signature"


def test_stale_timestamp_is_401_with_the_reason():
    header = sdk_header(timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), header, [SECRET.encode()], 300)
    assert (exc.value.status, exc.value.reason) == (401, "stale_timestamp")
    assert "tolerance is 300 s" in exc.value.detail
    # the SDK agrees it is outside the tolerance
    with pytest.raises(stripe_sdk.SignatureVerificationError, match="tolerance"):
        stripe_sdk.WebhookSignature.verify_header(BODY, header["stripe-signature"], SECRET, tolerance=300)


def test_tolerance_is_configurable():
    stripe.verify(BODY.encode(), sdk_header(timestamp=int(time.time()) - 500), [SECRET.encode()], 600)


def test_timestamp_far_in_the_future_is_401():
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), sdk_header(timestamp=int(time.time()) + 3600), [SECRET.encode()], 300)
    assert exc.value.reason == "future_timestamp"


@pytest.mark.parametrize("header", ["", "v1=abc", "t=123", "t=abc,v1=00", "garbage", "t=١٢٣,v1=00"])
def test_malformed_or_missing_header_is_401(header):
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), {"stripe-signature": header} if header else {}, [SECRET.encode()], 300)
    assert exc.value.status == 401


def test_no_configured_secret_is_a_503_naming_the_variable():
    with pytest.raises(WebhookRejected) as exc:
        stripe.verify(BODY.encode(), sdk_header(), [], 300)
    assert exc.value.status == 503 and "ICEFLOE_STRIPE_WEBHOOK_SECRET" in exc.value.detail


def test_event_id_is_the_delivery_id_and_type_the_provider_topic():
    [ev] = stripe.events(BODY.encode(), {"id": "evt_1", "type": "charge.succeeded"})
    assert (ev.delivery_id, ev.provider_topic, ev.value, ev.dead_letter_reason) == (
        "evt_1", "charge.succeeded", BODY.encode(), None)


def test_event_without_id_goes_to_dead_letter_with_a_content_id():
    [ev] = stripe.events(b"[1]", [1])
    assert ev.dead_letter_reason == "not_an_event_object" and ev.delivery_id.startswith("sha256:")
