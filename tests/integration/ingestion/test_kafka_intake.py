"""The API against the real Kafka: an accepted delivery is on its topic with the exact bytes, key and
headers; with the broker stopped the answer is 503 + Retry-After and nothing of it is written."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from icefloe.datagen.webhooks import hubspot_delivery, shopify_delivery, stripe_delivery
from icefloe.ingestion.app import create_app
from icefloe.ingestion.settings import IngestionSettings

pytestmark = pytest.mark.integration

SECRETS = dict(shopify_webhook_secret="shpss_it", stripe_webhook_secret="whsec_it", hubspot_client_secret="hs_it")


def consume(bootstrap: str, topic: str, timeout: float = 20.0) -> list:
    """Every record currently in `topic` (all partitions, from the beginning)."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-{uuid.uuid4()}", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
        c.assign([TopicPartition(topic, p, 0) for p in parts])
        out, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                c.position([TopicPartition(topic, p)])[0].offset < end for p, end in ends.items() if end > 0):
            msg = c.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append(msg)
        return out
    finally:
        c.close()


def by_delivery(msgs, delivery_id: str) -> list:
    return [m for m in msgs if dict(m.headers() or [])["delivery_id"] == delivery_id.encode()]


@pytest.fixture
def api(kafka):
    _, bootstrap = kafka
    settings = IngestionSettings(kafka_bootstrap_servers=bootstrap, produce_timeout_s=3, retry_after_s=7, **SECRETS)
    with TestClient(create_app(settings)) as c:
        yield c


def test_accepted_deliveries_are_on_their_topics_with_exact_bytes_key_and_headers(kafka, api):
    _, bootstrap = kafka
    oid = int(time.time() * 1000)
    shop = shopify_delivery("orders/create", {"id": oid, "note": "caf\u00e9 \U0001f9ca"}, "shpss_it")
    strp = stripe_delivery("payment_intent.succeeded", {"id": f"pi_{oid}"}, "whsec_it")
    hub = hubspot_delivery([{"eventId": oid, "subscriptionType": "deal.creation", "objectId": oid + 1},
                            {"eventId": oid + 2, "subscriptionType": "contact.creation", "objectId": oid + 3}],
                           "hs_it", base_url="http://testserver")
    for d in (shop, strp, hub):
        r = api.post(d.path, content=d.body, headers=d.headers)
        assert r.status_code == 202, r.text

    [m] = by_delivery(consume(bootstrap, "shopify.orders"), shop.delivery_id)
    assert (m.key(), m.value()) == (str(oid).encode(), shop.body)
    h = dict(m.headers())
    assert h["provider_topic"] == b"orders/create" and h["provider"] == b"shopify"
    assert abs(int(h["received_at"]) - time.time() * 1000) < 60_000

    [m] = by_delivery(consume(bootstrap, "stripe.payment_intents"), strp.delivery_id)
    assert (m.key(), m.value()) == (f"pi_{oid}".encode(), strp.body)

    [deal] = by_delivery(consume(bootstrap, "hubspot.deals"), str(oid))
    [contact] = by_delivery(consume(bootstrap, "hubspot.contacts"), str(oid + 2))
    assert deal.key() == str(oid + 1).encode() and contact.key() == str(oid + 3).encode()
    assert b"[" + deal.value() + b"," + contact.value() + b"]" == hub.body


def test_broker_stopped_gives_503_with_retry_after_and_nothing_half_accepted(kafka, api):
    stack, bootstrap = kafka
    oid = int(time.time() * 1000)
    before = shopify_delivery("orders/create", {"id": oid}, "shpss_it")
    refused = shopify_delivery("orders/create", {"id": oid + 1}, "shpss_it")
    assert api.post(before.path, content=before.body, headers=before.headers).status_code == 202
    stack.down(["kafka"])
    try:
        t0 = time.monotonic()
        r = api.post(refused.path, content=refused.body, headers=refused.headers)
        assert r.status_code == 503 and r.headers["retry-after"] == "7"
        assert r.json()["error"] == "broker_unavailable"
        assert time.monotonic() - t0 < 10  # bounded by ICEFLOE_PRODUCE_TIMEOUT_S, not hanging
        assert api.get("/readyz").status_code == 503
    finally:
        stack.up(["kafka"])
    time.sleep(5)  # let the producer's queue time out / reconnect
    msgs = consume(bootstrap, "shopify.orders")
    assert len(by_delivery(msgs, before.delivery_id)) == 1
    assert by_delivery(msgs, refused.delivery_id) == []
    # the provider's retry now succeeds and is written exactly once
    r = api.post(refused.path, content=refused.body, headers=refused.headers)
    assert r.status_code == 202, r.text
    assert len(by_delivery(consume(bootstrap, "shopify.orders"), refused.delivery_id)) == 1
