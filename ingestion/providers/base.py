"""What a provider's verifier returns, and the errors it raises."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


class WebhookRejected(Exception):
    """A delivery we refuse; `status` is the HTTP answer, `reason` a short machine-readable code."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VerifiedDelivery:
    """A delivery whose signature checked out."""

    provider: str
    provider_topic: str
    delivery_id: str


@dataclass(frozen=True)
class Event:
    """One Kafka record to publish: a whole delivery (Shopify, Stripe) or one element of a HubSpot
    batch. `value` is the exact bytes as received (for HubSpot: the element's own byte span)."""

    provider: str
    provider_topic: str
    delivery_id: str
    value: bytes
    doc: object
    #: set when the event verified but cannot be routed; it then goes to the dead-letter topic
    dead_letter_reason: str | None = None


def content_id(value: bytes) -> str:
    """A deterministic delivery id for a verified body that carries none (dead-letter records):
    the same bytes delivered twice get the same id, so downstream deduplication still works."""
    return "sha256:" + hashlib.sha256(value).hexdigest()
