"""Each provider's real webhook signature scheme, from the sender's side.

* Shopify: `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256(secret, body), plus `X-Shopify-Topic`
  and `X-Shopify-Webhook-Id`.
* Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`; the key is the
  whole `whsec_...` string.
* HubSpot v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(client_secret,
  method + uri + body + timestamp_ms) and `X-HubSpot-Request-Timestamp` (ms). Receivers reject
  timestamps older than five minutes, so sign at send time, not at generation time.

Tests check these against the providers' own SDKs, not against our verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

SHOPIFY_API_VERSION = "2026-07"


def _hmac(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def shopify_headers(
    body: bytes,
    secret: str | bytes,
    topic: str,
    webhook_id: str,
    shop_domain: str = "icefloe-demo.myshopify.com",
    triggered_at: str | None = None,
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(_hmac(secret, body)).decode(),
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": SHOPIFY_API_VERSION,
    }
    if triggered_at:
        headers["X-Shopify-Triggered-At"] = triggered_at
    return headers


def stripe_signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for this body."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    v1 = _hmac(secret, f"{t}.".encode() + body).hex()
    return f"t={t},v1={v1}"


def stripe_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": stripe_signature(body, secret, timestamp),
    }


def hubspot_v3_signature(body: bytes, client_secret: str, method: str, uri: str, timestamp_ms: int) -> str:
    message = method.upper().encode() + uri.encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(_hmac(client_secret, message)).decode()


def hubspot_headers(
    body: bytes, client_secret: str, uri: str, method: str = "POST", timestamp_ms: int | None = None
) -> dict[str, str]:
    """Headers of a HubSpot v3-signed request to `uri` (the full URL the receiver sees)."""
    ts = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
    return {
        "Content-Type": "application/json",
        "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
        "X-HubSpot-Signature-v3": hubspot_v3_signature(body, client_secret, method, uri, ts),
        "X-HubSpot-Signature-Version": "v3",
        "X-HubSpot-Request-Timestamp": str(ts),
    }
