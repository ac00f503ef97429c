"""The thin slice, real at every step: signed webhook -> API -> Kafka -> Flink -> Iceberg raw ->
Spark -> Iceberg staging -> read back by a second engine (pyiceberg), then a second, incremental
round whose updates must reach staging through MERGE."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from rich.console import Console

pytestmark = pytest.mark.integration


def test_every_service_reports_healthy(stack):
    statuses = stack.status()
    assert [s.name for s in statuses] == ["postgres", "s3", "kafka", "catalog", "trino", "api"]
    assert all(s.healthy for s in statuses), [(s.name, s.detail) for s in statuses]


def test_webhooks_reach_staging_exactly_and_updates_merge_incrementally(stack):
    from icefloe.config import Profile
    from icefloe.datagen import shopify
    from icefloe.datagen.webhooks import send, shopify_delivery
    from icefloe.demo import raw_row_count, run_thin_slice
    from icefloe.jobs import result_line, run_flink, run_spark
    from pyiceberg.catalog import load_catalog

    console = Console(quiet=True)
    profile = Profile.load(stack.settings)
    # Other tests (the exactly-once drills) share the stack and the table: measure deltas only.
    raw_before = _raw_rows_or_zero(profile)
    first = run_thin_slice(console, stack.settings, orders=30, updates=10, seed=11)
    assert first.accepted == first.sent == 40
    assert first.raw_rows - raw_before == 40   # raw is append-only: creates and updates both kept
    assert first.staging_rows == 30      # one row per order, latest version

    # Round 2: refunds for 5 known orders and 3 brand-new orders, processed incrementally.
    secret = "shpss_local_development_secret"
    orders = shopify.orders(33, seed=11)
    refunded = []
    for o in orders[:5]:
        r = dict(o, financial_status="refunded", updated_at=datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat())
        refunded.append(r)
    deliveries = [shopify_delivery("orders/updated", r, secret) for r in refunded]
    deliveries += [shopify_delivery("orders/create", o, secret) for o in orders[30:]]
    # an out-of-order, older version of order 0 arriving late must not win
    deliveries.append(shopify_delivery("orders/updated", orders[0], secret))
    assert send(profile.ingestion_url, deliveries).accepted == len(deliveries)

    run_flink(["--sources", "shopify_orders", "--bounded", "--checkpoint-interval", "2s"], stack.settings)
    raw_rows, _ = raw_row_count(profile, "raw.shopify_orders")
    assert raw_rows - raw_before == 40 + len(deliveries)

    spark = run_spark("staging", ["--table", "shopify_orders"], stack.settings)
    result = json.loads(result_line(spark, "ICEFLOE_RESULT"))
    assert result["rows_read"] == len(deliveries), "incremental run must read only the new snapshot range"

    table = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table("staging.stg_shopify_orders")
    ours = {str(o["id"]) for o in orders}
    rows = {r["order_id"]: r for r in table.scan().to_arrow().to_pylist() if r["order_id"] in ours}
    assert len(rows) == 33
    for r in refunded:
        assert rows[str(r["id"])]["financial_status"] == "refunded"
        assert rows[str(r["id"])]["is_paid"] is True
    assert rows[str(orders[0]["id"])]["financial_status"] == "refunded", "a late older version overwrote a newer one"
    assert sum(rows[str(o["id"])]["total_amount"] for o in orders[30:]) == sum(Decimal(o["total_price"]) for o in orders[30:])

    # A rerun with nothing new is a no-op (the watermark holds).
    again = json.loads(result_line(run_spark("staging", ["--table", "shopify_orders"], stack.settings), "ICEFLOE_RESULT"))
    assert again["rows_read"] == 0


def _raw_rows_or_zero(profile) -> int:
    from icefloe.demo import raw_row_count
    from pyiceberg.exceptions import NoSuchTableError

    try:
        return raw_row_count(profile, "raw.shopify_orders")[0]
    except NoSuchTableError:
        return 0
