"""Shopify signature checks, and Shopify's official verifier (npm) as the oracle of our signer."""

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from icefloe.datagen.webhooks import Delivery, shopify_delivery

from icefloe.ingestion.providers import shopify
from icefloe.ingestion.providers.base import WebhookRejected

SECRET = b"hush"
BODY = b'{"id": 820982911946154508, "email": "jon@example.com"}'


def headers(sig: str) -> dict[str, str]:
    return {"x-shopify-hmac-sha256": sig, "x-shopify-topic": "orders/create",
            "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    expected = base64.b64encode(hmac.new(SECRET, BODY, hashlib.sha256).digest()).decode()
    assert shopify.sign(BODY, SECRET) == expected


def test_valid_delivery_is_accepted_with_any_configured_secret():
    got = shopify.verify(BODY, headers(shopify.sign(BODY, SECRET)), [b"old", SECRET])
    assert got.provider_topic == "orders/create"
    assert got.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


@pytest.mark.parametrize("body", [BODY + b" ", BODY.replace(b"jon", b"jan"), b""])
def test_tampered_body_is_rejected_401(body):
    with pytest.raises(WebhookRejected) as exc:
        shopify.verify(body, headers(shopify.sign(BODY, SECRET)), [SECRET])
    assert exc.value.status == 401


def test_missing_signature_is_401_and_missing_topic_is_400():
    with pytest.raises(WebhookRejected) as exc:
        shopify.verify(BODY, {"x-shopify-topic": "orders/create"}, [SECRET])
    assert (exc.value.status, exc.value.reason) == (401, "missing_signature")
    h = headers(shopify.sign(BODY, SECRET))
    del h["x-shopify-topic"]
    with pytest.raises(WebhookRejected) as exc:
        shopify.verify(BODY, h, [SECRET])
    assert exc.value.status == 400


# ---- independent oracle: Shopify's own verifier (npm @shopify/shopify-api, shopify.webhooks.validate)
ORACLE_DIR = Path(__file__).resolve().parents[3] / "oracles" / "shopify"


@pytest.fixture(scope="module")
def shopify_validate():
    """Run Shopify's official `webhooks.validate` on a list of deliveries (one node process)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip("node is not installed: the Shopify oracle (npm @shopify/shopify-api) needs Node >= 18")
    if not (ORACLE_DIR / "node_modules" / "@shopify" / "shopify-api").exists():
        assert npm, "npm is missing: run `npm ci` in tests/oracles/shopify"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ORACLE_DIR, check=True, timeout=300,
                       capture_output=True)

    def validate(cases: list[dict]) -> list[dict]:
        out = subprocess.run([node, "validate.mjs"], cwd=ORACLE_DIR, input=json.dumps(cases).encode(),
                             capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr.decode()
        return json.loads(out.stdout)

    return validate


def _case(d: Delivery, secret: str) -> dict:
    return {"secret": secret, "body": d.body.decode(), "headers": d.headers}


def test_shopifys_official_verifier_accepts_what_our_signer_produces(shopify_validate):
    secret = "shpss_oracle"
    deliveries = [shopify_delivery(t, p, secret) for t, p in [
        ("orders/create", {"id": 820982911946154508, "email": "jon@example.com", "total_price": "10.00"}),
        ("customers/update", {"id": 1, "first_name": "Zoë", "note": "emoji 🧊 and \"quotes\""}),
        ("products/create", {"id": 2, "title": "a" * 5000})]]
    results = shopify_validate([_case(d, secret) for d in deliveries])
    assert [r["valid"] for r in results] == [True, True, True], results
    assert [r["webhookId"] for r in results] == [d.delivery_id for d in deliveries]
    # and our verifier agrees
    for d in deliveries:
        shopify.verify(d.body, {k.lower(): v for k, v in d.headers.items()}, [secret.encode()])


def test_shopifys_official_verifier_rejects_tampered_deliveries(shopify_validate):
    secret = "shpss_oracle"
    d = shopify_delivery("orders/create", {"id": 1, "total_price": "10.00"}, secret)
    tampered_body = _case(d, secret) | {"body": d.body.decode().replace("10.00", "0.01")}
    wrong_secret = _case(d, "shpss_other")
    results = shopify_validate([tampered_body, wrong_secret])
    assert [r["valid"] for r in results] == [False, False], results
