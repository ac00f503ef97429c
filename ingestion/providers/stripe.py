"""Stripe webhooks: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...]`.

The signature is the hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint secret
(`whsec_...`). A delivery is authentic when any `v1` matches the HMAC under any configured secret
(Stripe sends one `v1` per active secret while you roll it; we may hold old and new secrets too),
and fresh when `t` is within the tolerance (300 s by default) of our clock. Delivery id = the event
`id`, provider topic = the event `type`; the object id comes from `data.object.id` (sources.yaml).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

from icefloe.ingestion.providers.base import Event, WebhookRejected, content_id

SIGNATURE_HEADER = "stripe-signature"
SCHEME = "v1"


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """The hex `v1` signature Stripe computes for this body at `timestamp`."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Sequence[bytes], timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value, one `v1` per secret (as Stripe does while rolling)."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"{SCHEME}={sign(body, s, t)}" for s in secrets)])


def parse_header(value: str) -> tuple[int, list[str]]:
    """`t` and the `v1` signatures of a `Stripe-Signature` header (other schemes are ignored)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not val.isascii() or not val.isdigit():
                raise WebhookRejected(401, "malformed_signature_header",
                                      "Stripe-Signature t= must be a Unix timestamp in seconds")
            timestamp = int(val)
        elif key == SCHEME:
            signatures.append(val)
    if timestamp is None:
        raise WebhookRejected(401, "malformed_signature_header", "Stripe-Signature has no t= element")
    if not signatures:
        raise WebhookRejected(401, "malformed_signature_header",
                              f"Stripe-Signature has no {SCHEME}= signature")
    return timestamp, signatures


def verify(body: bytes, headers: Mapping[str, str], secrets: Sequence[bytes], tolerance_s: float,
           now: float | None = None) -> int:
    """Check signature then freshness; returns the signed timestamp. Raises `WebhookRejected`."""
    if not secrets:
        raise WebhookRejected(503, "not_configured",
                              "no Stripe secret configured (set ICEFLOE_STRIPE_WEBHOOK_SECRET)")
    header = headers.get(SIGNATURE_HEADER)
    if not header:
        raise WebhookRejected(401, "missing_signature", "missing Stripe-Signature header")
    timestamp, given = parse_header(header)
    expected = [sign(body, s, timestamp).encode() for s in secrets]
    if not any(hmac.compare_digest(e, g.encode("utf-8", "replace")) for e in expected for g in given):
        raise WebhookRejected(401, "bad_signature",
                              "no v1 signature in Stripe-Signature matches the body under any configured secret")
    age = (time.time() if now is None else now) - timestamp
    if age > tolerance_s:
        raise WebhookRejected(401, "stale_timestamp",
                              f"Stripe-Signature timestamp is {age:.0f} s old; the tolerance is {tolerance_s:.0f} s "
                              "(a replayed or long-delayed delivery; Stripe retries with a fresh one)")
    if -age > tolerance_s:
        raise WebhookRejected(401, "future_timestamp",
                              f"Stripe-Signature timestamp is {-age:.0f} s in the future; the tolerance is "
                              f"{tolerance_s:.0f} s (check this host's clock)")
    return timestamp


def events(body: bytes, doc: object) -> list[Event]:
    """A Stripe delivery is one event: one record, the whole body."""
    if not isinstance(doc, dict):
        return [Event("stripe", "", content_id(body), body, doc, "not_an_event_object")]
    event_id, event_type = doc.get("id"), doc.get("type")
    if not isinstance(event_id, str) or not event_id:
        return [Event("stripe", str(event_type or ""), content_id(body), body, doc, "missing_event_id")]
    if not isinstance(event_type, str) or not event_type:
        return [Event("stripe", "", event_id, body, doc, "missing_event_type")]
    return [Event("stripe", event_type, event_id, body, doc)]
