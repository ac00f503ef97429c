"""Produce data the way the thin slice does, for tests and benchmarks that need real tables:
signed Shopify `orders/create` deliveries (and `orders/updated` for some of them) sent to the
running ingestion API, then the bounded Flink raw job (`raw.shopify_orders`) and the Spark
staging job (`staging.stg_shopify_orders`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from icefloe.config import Profile, StackSettings

log = logging.getLogger(__name__)


@dataclass
class SliceRun:
    orders: int
    deliveries: int
    accepted: int
    send_s: float
    flink_s: float
    spark_s: float


def send_orders(count: int, seed: int, updated_every: int, profile: Profile, stack: StackSettings,
                start: datetime | None = None) -> tuple[int, int]:
    """Send `count` new orders (and an `orders/updated` for every `updated_every`-th one).

    Returns (deliveries sent, deliveries accepted)."""
    from icefloe.datagen import shopify
    from icefloe.datagen.webhooks import send, shopify_delivery
    from icefloe.ingestion.settings import IngestionSettings

    env_file = stack.profile_env if stack.profile_env.exists() else None
    secrets = IngestionSettings(_env_file=env_file).shopify_webhook_secret.get_secret_value()
    secret = secrets.split(",")[0].strip()
    if not secret:
        raise RuntimeError("no Shopify secret: start the stack (`icefloe local up`) so the profile exists")
    bodies = shopify.orders(count, seed=seed, start=start)
    deliveries = [shopify_delivery("orders/create", b, secret) for b in bodies]
    if updated_every:
        deliveries += [
            shopify_delivery("orders/updated",
                             shopify.fulfilled(b, datetime.fromisoformat(b["created_at"]) + timedelta(days=1)),
                             secret)
            for b in bodies[::updated_every]
        ]
    report = send(profile.ingestion_url, deliveries)
    return report.sent, report.accepted


def produce(count: int, seed: int = 7, updated_every: int = 5, stack: StackSettings | None = None,
            start: datetime | None = None) -> SliceRun:
    """Send orders, then run Flink (bounded) and Spark staging; the tables hold them afterwards."""
    from icefloe.jobs import run_flink, run_spark

    stack = stack or StackSettings()
    profile = Profile.load(stack)
    t0 = time.monotonic()
    sent, accepted = send_orders(count, seed, updated_every, profile, stack,
                                 start=start or datetime(2026, 11, 1, tzinfo=timezone.utc))
    t1 = time.monotonic()
    if accepted != sent:
        raise RuntimeError(f"the API accepted {accepted} of {sent} deliveries; see `icefloe local logs api`")
    log.info("sent %d deliveries in %.1fs", sent, t1 - t0)
    run_flink(["--sources", "shopify_orders", "--bounded"], stack, timeout=900)
    t2 = time.monotonic()
    run_spark("staging", ["--table", "shopify_orders"], stack, timeout=900)
    t3 = time.monotonic()
    return SliceRun(count, sent, accepted, t1 - t0, t2 - t1, t3 - t2)
