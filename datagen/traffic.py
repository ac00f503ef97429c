"""Generated traffic for the demo and the batch tests, and the oracle the marts are checked against.

The traffic is one `icefloe.datagen` scenario run (all three providers, with its duplicate, late
and out-of-order deliveries), split in rounds by delivery time, so a later round carries updates of
objects an earlier round created (orders paid/fulfilled/refunded, disputes closed, ...).

The oracle reads the generated bodies directly, in Python, with the definitions the marts document
(GMV = totals of orders not cancelled, payment counts = succeeded charges, ...): it shares no code
and no SQL with the Spark jobs. The latest version of an object is the one that *happened* last
(the generator's `occurred_at`), not the one delivered last.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson

from icefloe.datagen.common import Event
from icefloe.datagen.scenarios import Generator, Scenario
from icefloe.datagen.simulator import Outgoing, Simulator, SimulatorConfig

ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
                "xof", "xpf"}


@dataclass
class Traffic:
    events: list[Event]
    truth: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)

    def rounds(self, cut_fraction: float) -> tuple[list[Event], list[Event]]:
        """The events delivered before and after the `cut_fraction` point of the delivery timeline."""
        n = int(len(self.events) * cut_fraction)
        return self.events[:n], self.events[n:]


def scenario(hours: float) -> Scenario:
    """Ordinary traffic plus a card-testing burst, so disputes and refunds exist at a small scale."""
    return Scenario("batch_test", "the batch layers' integration test", hours=hours,
                    fraud_window_h=(2.0, 4.0), fraud_charges_per_hour=1500.0)


def generate(scale: float, seed: int, start: datetime, hours: float) -> Traffic:
    truth: list[dict] = []
    gen = Generator(scenario(hours), scale=scale, seed=seed, start=start, on_truth=truth.append)
    events = list(gen.events())
    return Traffic(events, truth, gen.truth_people())


def send(events: list[Event], target: str, secrets: dict[str, str], hubspot_batch: int = 10) -> dict:
    """POST the events, signed, through the ingestion API; returns the simulator's summary."""

    def outgoing():
        batch: list[Event] = []
        for ev in events:
            if ev.provider == "hubspot":
                batch.append(ev)
                if len(batch) >= hubspot_batch:
                    yield Outgoing("hubspot", batch[0].provider_topic, batch[0].delivery_id, [e.body for e in batch])
                    batch = []
                continue
            yield Outgoing(ev.provider, ev.provider_topic, ev.delivery_id, ev.body_bytes())
        if batch:
            yield Outgoing("hubspot", batch[0].provider_topic, batch[0].delivery_id, [e.body for e in batch])

    cfg = SimulatorConfig(target=target, rate=5000.0, duration_s=600.0, concurrency=16, backoff_base_s=0.1)
    report = asyncio.run(Simulator(cfg, secrets, source=outgoing()).run())
    return report.summary()


# ---- the oracle ---------------------------------------------------------------------------------

def _latest(events: list[Event], provider: str, topic: str) -> dict[str, dict]:
    """Latest version (by when it happened, then generation order) of every object of a topic."""
    best: dict[str, tuple[float, int, dict]] = {}
    for ev in events:
        if ev.provider != provider or ev.topic != topic:
            continue
        key = (ev.occurred_at, ev.seq)
        cur = best.get(ev.object_id)
        if cur is None or key > cur[:2]:
            body = orjson.loads(ev.body_bytes())
            best[ev.object_id] = (*key, body)
    return {k: v[2] for k, v in best.items()}


def _utc_date(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(UTC).date()


def expected_daily(events: list[Event]) -> dict[date, dict]:
    """Per UTC date: the figures of marts.sales_dashboard_daily, from the generated bodies."""
    days: dict[date, dict] = defaultdict(lambda: {
        "order_count": 0, "cancelled_count": 0, "paid_order_count": 0, "gmv": Decimal("0"),
        "refunded_order_count": 0, "payment_count": 0, "payment_amount": Decimal("0"),
        "payment_refunded_count": 0, "disputed_count": 0,
    })
    for order in _latest(events, "shopify", "shopify.orders").values():
        d = days[_utc_date(order["created_at"])]
        cancelled = order.get("cancelled_at") is not None
        d["order_count"] += 1
        d["cancelled_count"] += cancelled
        if not cancelled:
            d["gmv"] += Decimal(order["total_price"])
            d["paid_order_count"] += order["financial_status"] in ("paid", "partially_refunded", "refunded")
        d["refunded_order_count"] += order["financial_status"] in ("refunded", "partially_refunded")
    charges = {k: v["data"]["object"] for k, v in _latest(events, "stripe", "stripe.charges").items()}
    refunded = {v["data"]["object"]["charge"] for v in _latest(events, "stripe", "stripe.refunds").values()
                if v["data"]["object"].get("status") == "succeeded"}
    disputed = {v["data"]["object"]["charge"] for v in _latest(events, "stripe", "stripe.disputes").values()}
    for cid, ch in charges.items():
        if ch["status"] != "succeeded":
            continue
        d = days[datetime.fromtimestamp(ch["created"], UTC).date()]
        minor = 1 if ch["currency"].lower() in ZERO_DECIMAL else 100
        d["payment_count"] += 1
        d["payment_amount"] += Decimal(ch["amount"]) / minor
        d["payment_refunded_count"] += bool(ch.get("amount_refunded")) or cid in refunded
        d["disputed_count"] += bool(ch.get("disputed")) or cid in disputed
    return dict(days)


DAILY_FIGURES = ("order_count", "cancelled_count", "paid_order_count", "gmv", "refunded_order_count",
                 "payment_count", "payment_amount")


def daily_mismatches(got: dict[date, dict], expected: dict[date, dict]) -> list[str]:
    """Differences between rows of marts.sales_dashboard_daily (by date) and `expected_daily`; [] = equal."""
    out = [f"{day}: no row in the mart" for day in sorted(set(expected) - set(got))]
    out += [f"{day}: a row the ground truth does not have" for day in sorted(set(got) - set(expected))]
    for day in sorted(set(got) & set(expected)):
        g, e = got[day], expected[day]
        out += [f"{day} {k}: mart {g[k]} != ground truth {e[k]}" for k in DAILY_FIGURES if g[k] != e[k]]
        live = e["order_count"] - e["cancelled_count"]
        if live and g["aov"] != (e["gmv"] / live).quantize(Decimal("0.01")):
            out.append(f"{day} aov: mart {g['aov']} != ground truth {(e['gmv'] / live).quantize(Decimal('0.01'))}")
        if e["payment_count"]:
            for rate, count in (("payment_refund_rate", "payment_refunded_count"), ("dispute_rate", "disputed_count")):
                want = Decimal(e[count]) / e["payment_count"]
                if abs(g[rate] - want) > Decimal("0.000001"):
                    out.append(f"{day} {rate}: mart {g[rate]} != ground truth {want}")
    return out


