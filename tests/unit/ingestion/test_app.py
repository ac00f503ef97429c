"""The API's answers and what it publishes, for all three providers (Kafka replaced by a recorder)."""

import json
import re
import time

import pytest
import stripe as stripe_sdk
from fastapi.testclient import TestClient
from hubspot.utils.signature import Signature

from icefloe.datagen.webhooks import hubspot_delivery, shopify_delivery, stripe_delivery
from icefloe.ingestion.app import create_app
from icefloe.ingestion.providers import hubspot, shopify, stripe

from ingestion_support import HUBSPOT_SECRET, SHOPIFY_SECRET, STRIPE_SECRET, RecordingPublisher, make_settings


def post(client, body: bytes, topic="orders/create", sig=None, ctype="application/json", webhook_id="wh-1"):
    return client.post("/webhooks/shopify", content=body, headers={
        "content-type": ctype, "x-shopify-topic": topic, "x-shopify-webhook-id": webhook_id,
        "x-shopify-hmac-sha256": sig or shopify.sign(body, SHOPIFY_SECRET.encode())})


def send(client, d):
    return client.post(d.path, content=d.body, headers=d.headers)


def hubspot_events(*specs):
    return [{"eventId": eid, "subscriptionType": st, "objectId": oid, "occurredAt": 1_763_000_000_000,
             "portalId": 62515, "appId": 1, "attemptNumber": 0} for eid, st, oid in specs]


# ---- Shopify
def test_accepted_delivery_publishes_the_exact_bytes_keyed_by_object_id(client, publisher):
    body = b'{"id": 9007199254740993, "updated_at": "2026-01-01T00:00:00Z"}'
    r = post(client, body)
    assert r.status_code == 202, r.text
    topic, key, value, headers = publisher.records[0]
    assert (topic, key, value) == ("shopify.orders", b"9007199254740993", body)
    assert headers["delivery_id"] == b"wh-1" and headers["provider_topic"] == b"orders/create"
    assert int(headers["received_at"]) > 1_700_000_000_000


def test_unroutable_topic_goes_to_dead_letter_not_dropped(client, publisher):
    r = post(client, b'{"id": 1}', topic="carts/create")
    assert r.status_code == 202
    assert publisher.records[0][0] == "icefloe.dead_letter"
    assert publisher.records[0][3]["dead_letter_reason"] == b"unrouted_topic"


# ---- Stripe
def test_stripe_event_is_routed_by_type_keyed_by_object_id_with_event_id_as_delivery_id(client, publisher):
    d = stripe_delivery("charge.succeeded", {"id": "ch_3Px", "object": "charge", "amount": 1999}, STRIPE_SECRET)
    r = send(client, d)
    assert r.status_code == 202, r.text
    [(topic, key, value, headers)] = publisher.records
    assert (topic, key, value) == ("stripe.charges", b"ch_3Px", d.body)
    assert headers["delivery_id"] == d.delivery_id.encode() and headers["provider_topic"] == b"charge.succeeded"


def test_stripe_delivery_signed_by_the_sdk_is_accepted_through_the_api(client, publisher):
    body = json.dumps({"id": "evt_sdk", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})
    header = stripe_sdk.WebhookSignature.generate_signature_header(body, STRIPE_SECRET)
    r = client.post("/webhooks/stripe", content=body, headers={"content-type": "application/json",
                                                               "stripe-signature": header})
    assert r.status_code == 202, r.text
    assert publisher.records[0][:2] == ("stripe.customers", b"cus_1")


def test_stripe_unknown_event_type_goes_to_dead_letter_keyed_by_event_id(client, publisher):
    d = stripe_delivery("invoice.paid", {"id": "in_1"}, STRIPE_SECRET, event_id="evt_inv")
    assert send(client, d).status_code == 202
    assert publisher.records[0][:3] == ("icefloe.dead_letter", b"evt_inv", d.body)


def test_stale_stripe_timestamp_is_401_with_the_reason(client, publisher):
    d = stripe_delivery("charge.succeeded", {"id": "ch_1"}, STRIPE_SECRET, timestamp=int(time.time()) - 3600)
    r = send(client, d)
    assert r.status_code == 401 and r.json()["error"] == "stale_timestamp"
    assert re.search(r"\b360[01] s old", r.json()["detail"])  # the clock may tick during the request
    assert publisher.records == []


# ---- HubSpot
def test_hubspot_batch_becomes_one_record_per_event_keyed_by_object_id(client, publisher):
    evs = hubspot_events((101, "contact.creation", 5001), (102, "deal.propertyChange", 7001),
                         (103, "ticket.creation", 9001))
    d = hubspot_delivery(evs, HUBSPOT_SECRET, base_url="http://testserver")
    r = send(client, d)
    assert r.status_code == 202, r.text
    got = [(t, k, h["delivery_id"], h["provider_topic"]) for t, k, _, h in publisher.records]
    assert got == [("hubspot.contacts", b"5001", b"101", b"contact.creation"),
                   ("hubspot.deals", b"7001", b"102", b"deal.propertyChange"),
                   ("icefloe.dead_letter", b"103", b"103", b"ticket.creation")]
    # each value is that element's exact bytes, and together they are the received array
    assert b"[" + b",".join(v for _, _, v, _ in publisher.records) + b"]" == d.body
    assert [json.loads(v) for _, _, v, _ in publisher.records] == evs


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_hubspot_sdk_signatures_are_accepted_behind_a_proxy_with_a_public_base_url(version):
    publisher = RecordingPublisher()
    app = create_app(make_settings(public_base_url="https://hooks.example.com/"), publisher)
    body = json.dumps(hubspot_events((1, "company.creation", 42)))
    uri, ts = "https://hooks.example.com/webhooks/hubspot?portal=62515", str(int(time.time() * 1000))
    sig = Signature.get_signature(HUBSPOT_SECRET, body, version, http_uri=uri, timestamp=ts)
    headers = {"content-type": "application/json"} | (
        {"x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": ts} if version == "v3"
        else {"x-hubspot-signature": sig, "x-hubspot-signature-version": version})
    with TestClient(app) as c:  # the app itself sees http://testserver/...
        r = c.post("/webhooks/hubspot?portal=62515", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert publisher.records[0][:2] == ("hubspot.companies", b"42")


def test_hubspot_uri_mismatch_without_public_base_url_is_401_naming_the_setting(client):
    d = hubspot_delivery(hubspot_events((1, "company.creation", 42)), HUBSPOT_SECRET,
                         base_url="https://hooks.example.com")
    r = send(client, d)
    assert r.status_code == 401 and "ICEFLOE_PUBLIC_BASE_URL" in r.json()["detail"]


def test_stale_hubspot_timestamp_is_401_with_the_reason(client, publisher):
    d = hubspot_delivery(hubspot_events((1, "contact.creation", 1)), HUBSPOT_SECRET, base_url="http://testserver",
                         timestamp_ms=int((time.time() - 600) * 1000))
    r = send(client, d)
    assert (r.status_code, r.json()["error"]) == (401, "stale_timestamp")
    assert publisher.records == []


def test_hubspot_partial_failure_is_503_and_the_retry_does_not_republish_what_was_acknowledged():
    publisher = RecordingPublisher(fail_nth=2)
    evs = hubspot_events((1, "contact.creation", 10), (2, "contact.creation", 20), (3, "deal.creation", 30))
    d = hubspot_delivery(evs, HUBSPOT_SECRET, base_url="http://testserver")
    with TestClient(create_app(make_settings(), publisher)) as c:
        r = send(c, d)
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert [h["delivery_id"] for *_, h in publisher.records] == [b"1", b"3"]
        r = send(c, d)  # HubSpot retries the whole batch
        assert r.status_code == 202
        assert [x["duplicate"] for x in r.json()["records"]] == [True, False, True]
    assert sorted(h["delivery_id"] for *_, h in publisher.records) == [b"1", b"2", b"3"]


# ---- duplicates
def test_exact_duplicate_delivery_is_not_republished(client, publisher):
    d = shopify_delivery("orders/create", {"id": 1}, SHOPIFY_SECRET)
    assert send(client, d).status_code == 202
    r = send(client, d)
    assert r.status_code == 202 and r.json()["records"][0]["duplicate"] is True
    assert len(publisher.records) == 1


def test_same_delivery_id_with_different_bytes_is_published_again(client, publisher):
    a = shopify_delivery("orders/updated", {"id": 1, "v": 1}, SHOPIFY_SECRET, delivery_id="same")
    b = shopify_delivery("orders/updated", {"id": 1, "v": 2}, SHOPIFY_SECRET, delivery_id="same")
    assert send(client, a).status_code == send(client, b).status_code == 202
    assert len(publisher.records) == 2


def test_duplicate_memory_can_be_switched_off():
    publisher = RecordingPublisher()
    d = shopify_delivery("orders/create", {"id": 1}, SHOPIFY_SECRET)
    with TestClient(create_app(make_settings(dedup_cache_size=0), publisher)) as c:
        send(c, d), send(c, d)
    assert len(publisher.records) == 2


# ---- bad input, as the issue lists it
@pytest.mark.parametrize("provider", ["shopify", "stripe", "hubspot"])
@pytest.mark.parametrize("case,status,reason", [
    ("no_signature", 401, "missing_signature"), ("bad_signature", 401, "bad_signature"),
    ("bad_json", 400, "malformed_json"), ("not_utf8", 400, "malformed_json"), ("nan", 400, "malformed_json"),
    ("too_large", 413, "too_large"), ("wrong_type", 415, "unsupported_media_type"),
    ("no_type", 415, "unsupported_media_type")])
def test_bad_input_gets_a_clear_4xx_and_publishes_nothing(client, publisher, provider, case, status, reason):
    body = {"bad_json": b"{not json", "not_utf8": b'{"a": "\xff"}', "nan": b'{"a": NaN}',
            "too_large": json.dumps({"x": "a" * 5000}).encode()}.get(case, b'{"id": 1}')

    def signed(b: bytes) -> dict:
        if provider == "shopify":
            return {"x-shopify-hmac-sha256": shopify.sign(b, SHOPIFY_SECRET.encode()),
                    "x-shopify-topic": "orders/create", "x-shopify-webhook-id": "w"}
        if provider == "stripe":
            return {"stripe-signature": stripe.signature_header(b, [STRIPE_SECRET.encode()])}
        ts = str(int(time.time() * 1000))
        return {"x-hubspot-signature-v3": hubspot.sign("v3", HUBSPOT_SECRET.encode(), b, "POST",
                                                       "http://testserver/webhooks/hubspot", ts),
                "x-hubspot-request-timestamp": ts}

    headers = signed(body)
    if case == "no_signature":
        headers = {k: v for k, v in headers.items() if "signature" not in k and "hmac" not in k}
    elif case == "bad_signature":
        headers = signed(b'{"id": 2}')
    headers["content-type"] = {"wrong_type": "text/plain", "no_type": ""}.get(case, "application/json")
    if not headers["content-type"]:
        del headers["content-type"]
    r = client.post(f"/webhooks/{provider}", content=body, headers=headers)
    assert (r.status_code, r.json()["error"]) == (status, reason), r.text
    assert r.json()["detail"]
    assert publisher.records == []


def test_unknown_provider_is_404_naming_the_known_ones(client):
    r = client.post("/webhooks/paypal", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 404 and "shopify, stripe, hubspot" in r.json()["detail"]


def test_missing_secret_is_503_naming_the_variable():
    with TestClient(create_app(make_settings(stripe_webhook_secret=""), RecordingPublisher())) as c:
        d = stripe_delivery("charge.succeeded", {"id": "ch_1"}, STRIPE_SECRET)
        r = send(c, d)
    assert r.status_code == 503 and "ICEFLOE_STRIPE_WEBHOOK_SECRET" in r.json()["detail"]


# ---- broker down, health, metrics
def test_broker_down_gives_503_with_retry_after():
    with TestClient(create_app(make_settings(), RecordingPublisher(fail=True))) as c:
        r = post(c, b'{"id": 1}')
        assert r.status_code == 503 and r.headers["retry-after"]
        assert r.json()["error"] == "broker_unavailable"
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200


def test_metrics_count_accepted_and_rejected_by_provider_and_reason(client):
    send(client, shopify_delivery("orders/create", {"id": 1}, SHOPIFY_SECRET))
    send(client, stripe_delivery("charge.succeeded", {"id": "ch"}, STRIPE_SECRET, timestamp=1))
    post(client, b'{"id": 1}', sig="AAAA")
    client.post("/webhooks/paypal", content=b"{}", headers={"content-type": "application/json"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'icefloe_webhooks_accepted_total{provider="shopify"} 1.0' in text
    assert 'icefloe_webhooks_rejected_total{provider="stripe",reason="stale_timestamp"} 1.0' in text
    assert 'icefloe_webhooks_rejected_total{provider="shopify",reason="bad_signature"} 1.0' in text
    assert 'icefloe_webhooks_rejected_total{provider="unknown",reason="unknown_provider"} 1.0' in text
    assert 'icefloe_kafka_produce_seconds_count{provider="shopify"} 1.0' in text
    assert 'icefloe_webhook_records_published_total{provider="shopify",topic="shopify.orders"} 1.0' in text
