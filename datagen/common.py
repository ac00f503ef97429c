"""What every provider module shares: the generated `Event`, id makers and time formatting.

Ids: Shopify's are 64-bit integers above 2**53 and stay Python ints end to end (orjson writes them
exactly; never route them through a float). Stripe's are a prefix plus base62 characters. HubSpot's
are integers below 2**53 (as HubSpot's are).
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

#: Seconds of the simulated clock are carried as float unix time; providers format them their way.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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

    def body_bytes(self) -> bytes:
        """The body exactly as it goes on the wire (Shopify and Stripe bodies are kept serialised)."""
        return self.body if isinstance(self.body, bytes) else orjson.dumps(self.body)

    def line(self) -> bytes:
        """The JSON-lines record written to `<topic>.jsonl` (body kept whole, ids exact)."""
        head = orjson.dumps(
            {
                "provider": self.provider,
                "provider_topic": self.provider_topic,
                "topic": self.topic,
                "object_id": self.object_id,
                "delivery_id": self.delivery_id,
                "occurred_at": self.occurred_at,
                "deliver_at": self.deliver_at,
                "fault": self.fault,
            }
        )
        return head[:-1] + b',"body":' + self.body_bytes() + b"}"


def b62(n: int, width: int) -> str:
    """`width` base62 digits of `n` (little end first)."""
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


# base64 digits mapped onto alphanumerics: '+' and '/' become 'x' and 'Q' (a slight bias is harmless)
_B64_TO_ALNUM = bytes.maketrans(b"+/", b"xQ")


class StripeIds:
    """Stripe-looking ids (`ch_3Q...`): a seeded account tag plus random alphanumerics."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._account = b62(rng.getrandbits(60), 4)

    def make(self, prefix: str, length: int = 14) -> str:
        nbytes = (length * 3 + 3) // 4
        raw = base64.b64encode(self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "little"))
        return f"{prefix}_{self._account}{raw.translate(_B64_TO_ALNUM)[:length].decode()}"


_SHOP_OFFSET_S = -5 * 3600
_DAY_PREFIX: dict[int, str] = {}


def iso_shop(ts: float) -> str:
    """Shopify's timestamp format: local time with offset, second precision (`...T09:30:00-05:00`)."""
    local = int(ts) + _SHOP_OFFSET_S
    day, sec = divmod(local, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}-05:00"


def iso_utc_ms(ts: float) -> str:
    """HubSpot CRM objects' format: UTC with milliseconds and `Z`."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_MONEY: dict[int, str] = {}


def money(cents: int) -> str:
    """Shopify money strings: `"12.30"` (integers in cents avoid float rounding)."""
    out = _MONEY.get(cents)
    if out is None:
        out = f"{cents // 100}.{cents % 100:02d}"
        if len(_MONEY) < 500_000:
            _MONEY[cents] = out
    return out


_MONEY_SETS: dict[tuple[int, str], dict] = {}


def money_set(cents: int, currency: str = "USD") -> dict:
    """A `*_set` pair. Cached: bodies share these dicts, so nothing may mutate them."""
    key = (cents, currency)
    out = _MONEY_SETS.get(key)
    if out is None:
        m = {"amount": money(cents), "currency_code": currency}
        out = {"shop_money": m, "presentment_money": m}
        if len(_MONEY_SETS) < 200_000:
            _MONEY_SETS[key] = out
    return out
