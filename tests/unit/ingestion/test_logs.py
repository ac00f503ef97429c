"""Structured logs: JSON lines carrying the delivery id; secrets never appear, whatever happens."""

import json
import logging
import time

from fastapi.testclient import TestClient
from ingestion_support import HUBSPOT_SECRET, SHOPIFY_SECRET, STRIPE_SECRET, RecordingPublisher, make_settings

from icefloe.datagen.webhooks import hubspot_delivery, shopify_delivery, stripe_delivery
from icefloe.ingestion.app import create_app

SECRETS = [SHOPIFY_SECRET, STRIPE_SECRET, HUBSPOT_SECRET, "shpss_rotated_old"]


def _traffic(c: TestClient) -> str:
    d = shopify_delivery("orders/create", {"id": 77}, SHOPIFY_SECRET, delivery_id="wh-log-1")
    c.post(d.path, content=d.body, headers=d.headers)
    bad = shopify_delivery("orders/create", {"id": 1}, "wrong-secret")
    c.post(bad.path, content=bad.body, headers=bad.headers)
    for s in (stripe_delivery("charge.succeeded", {"id": "ch"}, STRIPE_SECRET),
              stripe_delivery("charge.succeeded", {"id": "ch"}, STRIPE_SECRET, timestamp=int(time.time()) - 900),
              hubspot_delivery([{"eventId": 5, "subscriptionType": "deal.creation", "objectId": 9}], HUBSPOT_SECRET,
                               base_url="http://testserver")):
        c.post(s.path, content=s.body, headers=s.headers)
    return d.delivery_id


def test_secrets_are_never_logged_even_at_debug_level(capsys, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(shopify_webhook_secret=f"{SHOPIFY_SECRET},shpss_rotated_old", log_level="DEBUG")
    with TestClient(create_app(settings, RecordingPublisher())) as c:
        _traffic(c)
    with TestClient(create_app(settings, RecordingPublisher(fail=True))) as c:
        _traffic(c)
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text + "".join(
        repr(r.__dict__) for r in caplog.records)
    assert "ingestion API starting" in everything  # settings were logged (redacted)
    assert "accepted" in everything and "rejected" in everything and "unavailable" in everything
    for secret in SECRETS:
        assert secret not in everything


def test_log_lines_are_json_with_the_delivery_id(capsys):
    with TestClient(create_app(make_settings(), RecordingPublisher())) as c:
        delivery_id = _traffic(c)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    accepted = [x for x in lines if x.get("delivery_id") == delivery_id]
    assert accepted and accepted[0]["topic"] == "shopify.orders" and accepted[0]["level"] == "info"
    assert {"ts", "logger", "msg"} <= accepted[0].keys()
    rejected = [x for x in lines if x.get("reason") == "stale_timestamp"]
    assert rejected and rejected[0]["provider"] == "stripe" and rejected[0]["status"] == 401
