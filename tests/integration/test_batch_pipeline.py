"""The batch layers end to end on the real stack, checked against the generator's ground truth.

Generated traffic for Shopify, Stripe and HubSpot (one datagen scenario run, with its duplicate,
late and out-of-order deliveries) goes signed through the API into Kafka; the Flink raw job (bounded)
writes all 13 raw tables; `icefloe.pipeline.run_batch` runs staging -> entity resolution -> core ->
analytics -> marts. The mart figures are compared with an oracle computed in Python from the
generated bodies (tests/integration/batch/traffic.py), which shares no code with the jobs.

A second round (the rest of the same run: new objects and updates of round-one objects, paid,
fulfilled, refunded, disputed) is processed incrementally in two parts: the first with the layers
MERGEing their changed keys, the second at the default threshold, under which tables this small are
rebuilt in full; the marts must match the oracle after each, and every table must then equal a full
rebuild from raw, row for row (invariant 4).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from icefloe.datagen.traffic import daily_mismatches, expected_daily, generate, send
from tests.integration.batch.tables import table_rows

pytestmark = pytest.mark.integration

START = datetime(2027, 3, 1, tzinfo=UTC)  # dates no other test writes
STAGING = ["shopify_orders", "shopify_customers", "shopify_products", "stripe_customers", "stripe_charges",
           "stripe_payment_intents", "stripe_refunds", "stripe_disputes", "stripe_subscriptions",
           "hubspot_contacts", "hubspot_companies", "hubspot_deals", "hubspot_engagements"]
LAYER_TABLES = ["core.customers", "core.orders", "core.payments", "analytics.customer_metrics",
                "analytics.order_summary", "analytics.payment_metrics", "marts.customer_360",
                "marts.sales_dashboard_daily"]


def _catalog(stack):
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile

    return load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())


def _send_and_ingest(stack, events) -> dict:
    from icefloe.config import Profile
    from icefloe.datagen.settings import DatagenSettings
    from icefloe.jobs import run_flink

    settings = DatagenSettings.load()
    summary = send(events, Profile.load(stack.settings).ingestion_url,
                   {p: settings.secret(p) for p in ("shopify", "stripe", "hubspot")})
    assert summary["accepted"] == summary["sent"] > 0, summary
    run_flink(["--sources", "all", "--bounded", "--checkpoint-interval", "2s"], stack.settings)
    return summary


def _check_marts(catalog, expected: dict) -> None:
    from pyiceberg.expressions import In

    t = catalog.load_table("marts.sales_dashboard_daily")
    got = {r["date"]: r for r in t.scan(row_filter=In("date", set(expected))).to_arrow().to_pylist()}
    assert daily_mismatches(got, expected) == []


@pytest.mark.timeout(2700)  # two Flink and three Spark runs: ~25 min at load average 10-15 on 2 cores
def test_marts_match_ground_truth_and_incremental_rounds_equal_a_full_rebuild(stack):
    from icefloe.pipeline import run_batch

    traffic = generate(scale=0.02, seed=5, start=START, hours=30)
    round1, round2 = traffic.rounds(0.6)
    catalog = _catalog(stack)
    figures = {}

    # ---- round 1: everything new -----------------------------------------------------------------
    t0 = time.monotonic()
    _send_and_ingest(stack, round1)
    figures["ingest_1_s"] = time.monotonic() - t0
    first = run_batch(stack.settings)
    figures["batch_1_s"] = first.seconds
    assert [s.name for s in first.steps] == ["staging", "entity_resolution", "core", "analytics", "marts"]
    assert set(first.step("staging").tables) == {f"staging.stg_{t}" for t in STAGING}
    assert first.step("staging").rows > 0 and first.step("marts").rows > 0
    exp1 = expected_daily(round1)
    assert sum(d["disputed_count"] for d in exp1.values()) > 0  # the oracle exercises every figure
    _check_marts(catalog, exp1)

    # no source record is in two golden records
    customers = catalog.load_table("core.customers").scan().to_arrow().to_pylist()
    linked = Counter()
    for c in customers:
        for source, col in (("shopify", "shopify_customer_id"), ("stripe", "stripe_customer_id"),
                            ("hubspot", "hubspot_contact_id")):
            if c[col] is not None:
                linked[(source, c[col])] += 1
    assert all(n == 1 for n in linked.values())

    # ---- table upkeep in between, as aggressive as it goes: compaction, then expiry of every snapshot
    # but the last -- except those a watermark still starts from (else round 2 could not read incrementally)
    from icefloe.jobs import run_spark
    from icefloe.pipeline import parse_results

    upkeep = run_spark("maintenance", ["--tables", "raw.shopify_orders", "--retain-last", "1",
                                       "--expire-older-than-hours", "0"], stack.settings, timeout=900)
    assert parse_results(upkeep.output)[0][0]["table"] == "raw.shopify_orders"

    # ---- round 2: updates of round-one objects and new ones, incrementally, in two parts ------------
    # 2a: the layers MERGE their changed keys (threshold 0); 2b: at the default threshold tables this
    # small are rebuilt in full instead (cheaper) -- the incremental result must not depend on the choice
    round2a, round2b = round2[:len(round2) // 2], round2[len(round2) // 2:]
    t0 = time.monotonic()
    _send_and_ingest(stack, round2a)
    figures["ingest_2a_s"] = time.monotonic() - t0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS", "0")
        second = run_batch(stack.settings)
    figures["batch_2a_s"] = second.seconds
    read = {t: r["rows_read"] for t, r in second.step("staging").tables.items()}
    assert not [t for t, r in second.step("staging").tables.items() if "watermark_lost" in r]
    assert 0 < sum(read.values()) < sum(r["rows_read"] for r in first.step("staging").tables.values()) + len(round2a)
    merged = {t: r["mode"] for s in ("core", "analytics", "marts") for t, r in second.step(s).tables.items()}
    assert set(merged) == set(LAYER_TABLES) and set(merged.values()) == {"incremental"}, merged
    _check_marts(catalog, expected_daily(round1 + round2a))  # updates propagated: MERGE, not appends only

    t0 = time.monotonic()
    _send_and_ingest(stack, round2b)
    figures["ingest_2b_s"] = time.monotonic() - t0
    third = run_batch(stack.settings)
    figures["batch_2b_s"] = third.seconds
    worked = {t: r for s in ("core", "analytics", "marts") for t, r in third.step(s).tables.items() if "phases" in r}
    assert {"core.customers", "core.orders", "core.payments"} <= set(worked), worked  # (others: no upstream change)
    assert all(r["mode"] == "full" and "ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS" in r["why"] for r in worked.values()), worked
    _check_marts(catalog, expected_daily(traffic.events))

    # every person record of the ground truth (all delivered by now) is in the entity index exactly once
    ids = {(t["source"], str(t["id"])) for t in traffic.truth if (t["source"], t["object"]) in
           {("shopify", "customers"), ("stripe", "customers"), ("hubspot", "contacts")}}
    index = catalog.load_table("semantic.entity_index").scan(selected_fields=("source", "source_id")).to_arrow()
    indexed = Counter((r["source"], str(r["source_id"])) for r in index.to_pylist())
    assert ids and not ids - set(indexed), sorted(ids - set(indexed))[:10]
    assert all(indexed[k] == 1 for k in ids)
    incremental = {t: table_rows(catalog, t) for t in [f"staging.stg_{s}" for s in STAGING] + LAYER_TABLES}

    # ---- the same tables rebuilt from raw ----------------------------------------------------------
    full = run_batch(stack.settings, mode="full", entity_resolution=False)
    figures["full_rebuild_s"] = full.seconds
    for table, rows in incremental.items():
        rebuilt = table_rows(catalog, table)
        assert rows == rebuilt, (f"{table}: incremental differs from the full rebuild: "
                                 f"{len(rows - rebuilt)} rows only incremental, {len(rebuilt - rows)} only full")
    print(f"\nbatch figures: {figures}; round 1 steps: "
          f"{[(s.name, s.rows, s.seconds) for s in first.steps]}; round 2: "
          f"{[(s.name, s.rows, s.seconds) for s in second.steps]}; round 2b: "
          f"{[(s.name, s.rows, s.seconds) for s in third.steps]}")
