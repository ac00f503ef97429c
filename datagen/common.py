"""What every provider module shares: the generated `Event`, id makers and time formatting.

Ids: Shopify's are 64-bit integers above 2**53 and stay Python ints end to end (orjson writes them
exactly; never route them through a float). Stripe's are a prefix plus base62 characters. HubSpot's
are integers below 2**53 (as HubSpot's are).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

#: Seconds of the simulated clock are carried as float unix time; providers format them their way.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Shopify shop's UTC offset: bodies carry local time with an offset, as Shopify sends them.
SHOP_TZ = timezone(timedelta(hours=-5))


@dataclass(slots=True)
class Event:
    """One webhook delivery as generated: which provider and topic, the body, and when it happens.

    `occurred_at` is when the change happened (simulated unix seconds); `deliver_at` is when the
    provider delivers it (later for late or retried deliveries). A duplicate carries the same
    `delivery_id` and body as its original; `fault` says which delivery fault produced it.
    """

    provider: str
    provider_topic: str
    topic: str
    object_id: str
    delivery_id: str
    occurred_at: float
    body: Any
    deliver_at: float = 0.0
    fault: str | None = None
    seq: int = 0
    extra: dict = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        """The body exactly as it goes on the wire (Shopify and Stripe bodies are kept serialised)."""
        return self.body if isinstance(self.body, bytes) else orjson.dumps(self.body)

    def line(self) -> bytes:
        """The JSON-lines record written to `<topic>.jsonl` (body kept whole, ids exact)."""
        head = orjson.dumps({
            "provider": self.provider, "provider_topic": self.provider_topic, "topic": self.topic,
            "object_id": self.object_id, "delivery_id": self.delivery_id,
            "occurred_at": round(self.occurred_at, 3), "deliver_at": round(self.deliver_at, 3),
            "fault": self.fault,
        })
        return head[:-1] + b',"body":' + self.body_bytes() + b"}"


def b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


class StripeIds:
    """Stripe-looking ids (`ch_3Q...`): a seeded account tag plus random base62, unique per run."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._account = b62(rng.getrandbits(60), 10)

    def make(self, prefix: str, length: int = 14) -> str:
        return f"{prefix}_{self._account[:4]}{b62(self._rng.getrandbits(6 * length), length)}"


def iso_shop(ts: float) -> str:
    """Shopify's timestamp format: local time with offset, second precision."""
    return datetime.fromtimestamp(int(ts), SHOP_TZ).isoformat()


def iso_utc_ms(ts: float) -> str:
    """HubSpot CRM objects' format: UTC with milliseconds and `Z`."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(cents: int) -> str:
    """Shopify money strings: `"12.30"` (integers in cents avoid float rounding)."""
    return f"{cents // 100}.{cents % 100:02d}"


def money_set(cents: int, currency: str = "USD") -> dict:
    m = {"amount": money(cents), "currency_code": currency}
    return {"shop_money": m, "presentment_money": dict(m)}
