"""The API's answers, with an in-memory stand-in for Kafka (the real broker is exercised by the
integration tests)."""

import json

import pytest
from fastapi.testclient import TestClient

from icefloe.ingestion.app import create_app
from icefloe.ingestion.providers import shopify
from icefloe.ingestion.publisher import BrokerUnavailable, Published
from icefloe.ingestion.settings import IngestionSettings

SECRET = "shpss_test"


class RecordingPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.records, self.fail = [], fail

    async def publish(self, topic, key, value, headers):
        if self.fail:
            raise BrokerUnavailable("down")
        self.records.append((topic, key, value, dict(headers)))
        return Published(topic, 0, len(self.records) - 1)

    def ready(self):
        return "down" if self.fail else None

    def close(self):
        pass


@pytest.fixture
def publisher():
    return RecordingPublisher()


@pytest.fixture
def client(publisher):
    settings = IngestionSettings(shopify_webhook_secret=SECRET, max_body_bytes=2048)
    with TestClient(create_app(settings, publisher)) as c:
        yield c


def post(client, body: bytes, topic="orders/create", sig=None, ctype="application/json"):
    return client.post("/webhooks/shopify", content=body, headers={
        "content-type": ctype, "x-shopify-topic": topic, "x-shopify-webhook-id": "wh-1",
        "x-shopify-hmac-sha256": sig or shopify.sign(body, SECRET.encode())})


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


@pytest.mark.parametrize("case,status", [
    ("bad_signature", 401), ("bad_json", 400), ("too_large", 413), ("wrong_type", 415)])
def test_bad_input_gets_a_clear_4xx(client, publisher, case, status):
    body = b'{"id": 1}'
    if case == "bad_signature":
        r = post(client, body, sig="AAAA")
    elif case == "bad_json":
        r = post(client, b"{not json")
    elif case == "too_large":
        r = post(client, json.dumps({"x": "a" * 4096}).encode())
    else:
        r = post(client, body, ctype="text/plain")
    assert r.status_code == status
    assert r.json()["error"]
    assert publisher.records == []


def test_unknown_provider_is_404(client):
    r = client.post("/webhooks/paypal", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 404 and "shopify" in r.json()["detail"]


def test_broker_down_gives_503_with_retry_after():
    settings = IngestionSettings(shopify_webhook_secret=SECRET)
    with TestClient(create_app(settings, RecordingPublisher(fail=True))) as c:
        r = post(c, b'{"id": 1}')
        assert r.status_code == 503 and r.headers["retry-after"]
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200
