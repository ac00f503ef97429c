"""Fuzz the API from its own OpenAPI description (schemathesis, in-process ASGI app).

Two thirds of the generated webhook requests are signed correctly (so the fuzzer reaches JSON
parsing, splitting and routing, not just the signature check); the rest keep the fuzzer's own
headers. No answer may be a 5xx, except 503 while the broker is down (with `Retry-After`).
"""

import hashlib
import json
import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from ingestion_support import HUBSPOT_SECRET, SHOPIFY_SECRET, STRIPE_SECRET, RecordingPublisher, make_settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from icefloe.ingestion.app import create_app
from icefloe.ingestion.providers import hubspot, shopify, stripe

UP, DOWN = RecordingPublisher(), RecordingPublisher(fail=True)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(make_settings(), UP))


@pytest.fixture(scope="module", params=["broker_up", "broker_down"])
def fuzz_client(request):
    publisher = UP if request.param == "broker_up" else DOWN
    with TestClient(create_app(make_settings(), publisher), raise_server_exceptions=False) as c:
        yield request.param, c


def _sign(path: str, body: bytes, headers: dict[str, str]) -> None:
    if path == "/webhooks/shopify":
        headers["X-Shopify-Hmac-Sha256"] = shopify.sign(body, SHOPIFY_SECRET.encode())
    elif path == "/webhooks/stripe":
        headers["Stripe-Signature"] = stripe.signature_header(body, [STRIPE_SECRET.encode()])
    elif path == "/webhooks/hubspot":
        ts = str(int(time.time() * 1000))
        headers["X-HubSpot-Signature-v3"] = hubspot.sign("v3", HUBSPOT_SECRET.encode(), body, "POST",
                                                         "http://testserver/webhooks/hubspot", ts)
        headers["X-HubSpot-Request-Timestamp"] = ts


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_never_answers_5xx_except_503_while_the_broker_is_down(case, fuzz_client):
    mode, client = fuzz_client
    kw = case.as_transport_kwargs()
    headers = {k: v for k, v in kw["headers"].items() if k.lower() != "content-length"}
    body = json.dumps(kw["json"]).encode() if "json" in kw else kw.get("content") or kw.get("data")
    if isinstance(body, str):
        body = body.encode()
    signed = int(hashlib.sha256(repr(kw).encode()).hexdigest(), 16) % 3 != 0
    if body is not None and signed:
        _sign(case.path, body, headers)
    r = client.request(kw["method"], kw["url"], content=body, headers=headers, params=kw.get("params"))
    if r.status_code >= 500:
        assert (mode, r.status_code) == ("broker_down", 503), (r.status_code, r.text)
        assert r.json()["error"] in ("broker_unavailable", "kafka_unreachable") and r.headers["retry-after"]
    case.validate_response(r, checks=[status_code_conformance, content_type_conformance,
                                      response_schema_conformance])
