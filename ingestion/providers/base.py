"""What a provider's verifier returns, and the errors it raises."""

from __future__ import annotations

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
