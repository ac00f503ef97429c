import base64
import hashlib
import hmac

import pytest

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
