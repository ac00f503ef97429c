"""Shopify webhooks: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body, keyed
with the app's client secret. `X-Shopify-Topic` and `X-Shopify-Webhook-Id` are required."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from icefloe.ingestion.providers.base import Event, VerifiedDelivery, WebhookRejected

HMAC_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
WEBHOOK_ID_HEADER = "x-shopify-webhook-id"


def sign(body: bytes, secret: bytes) -> str:
    """The value Shopify puts in `X-Shopify-Hmac-Sha256` for this body."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verify(body: bytes, headers: Mapping[str, str], secrets: Sequence[bytes]) -> VerifiedDelivery:
    """Check the signature (constant time, against every configured secret) and the headers."""
    if not secrets:
        raise WebhookRejected(503, "not_configured",
                              "no Shopify secret configured (set ICEFLOE_SHOPIFY_WEBHOOK_SECRET)")
    given = headers.get(HMAC_HEADER)
    if not given:
        raise WebhookRejected(401, "missing_signature", f"missing {HMAC_HEADER} header")
    if not any(hmac.compare_digest(sign(body, s).encode(), given.strip().encode()) for s in secrets):
        raise WebhookRejected(401, "bad_signature", "X-Shopify-Hmac-Sha256 does not match the body")
    topic = headers.get(TOPIC_HEADER)
    webhook_id = headers.get(WEBHOOK_ID_HEADER)
    if not topic or not webhook_id:
        raise WebhookRejected(400, "missing_header",
                              f"{TOPIC_HEADER} and {WEBHOOK_ID_HEADER} headers are required")
    return VerifiedDelivery(provider="shopify", provider_topic=topic, delivery_id=webhook_id)


def events(body: bytes, doc: object, delivery: VerifiedDelivery) -> list[Event]:
    """A Shopify delivery is one object: one record, the whole body."""
    return [Event("shopify", delivery.provider_topic, delivery.delivery_id, body, doc)]
