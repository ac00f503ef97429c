"""benchmarks/batch_pair.py: the base is what staging's watermarks cover; no base or no increment stops it."""

import sys

import pytest

from benchmark_scripts import load_benchmark
from icefloe import PROJECT_ROOT


@pytest.fixture(scope="module")
def batch_pair():
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))  # it imports batch_cost beside it
    try:
        yield load_benchmark("batch_pair")
    finally:
        sys.path.remove(str(PROJECT_ROOT / "benchmarks"))


def wm(job: str, source: str, snap: int) -> dict:
    return {"job_name": job, "source_table": source, "last_snapshot_id": snap}


def test_raw_goes_back_to_the_snapshots_staging_covered_and_only_where_raw_moved_on(batch_pair):
    marks = [wm("staging.stg_shopify_orders", "raw.shopify_orders", 10),
             wm("staging.stg_stripe_charges", "raw.stripe_charges", 20),
             # not staging's: entity resolution and the layers watermark other tables
             wm("entity_resolution#v2", "staging.stg_shopify_customers", 99),
             wm("core.orders", "staging.stg_shopify_orders", 98)]
    current = {"raw.shopify_orders": 11, "raw.stripe_charges": 20, "raw.hubspot_deals": 5}
    assert batch_pair.base_snapshots(marks, current) == {"raw.shopify_orders": 10}


def test_without_a_staged_base_or_an_increment_nothing_is_dropped(batch_pair):
    with pytest.raises(SystemExit, match="no staging watermark over raw"):
        batch_pair.base_snapshots([wm("core.orders", "staging.stg_shopify_orders", 1)], {"raw.shopify_orders": 2})
    with pytest.raises(SystemExit, match="raw holds nothing beyond the staging watermarks"):
        batch_pair.base_snapshots([wm("staging.stg_shopify_orders", "raw.shopify_orders", 2)],
                                  {"raw.shopify_orders": 2})


def test_between_repeated_incremental_runs_every_table_goes_back_and_new_ones_go(batch_pair):
    before = {"staging.a": 1, "core.b": 2, "metadata.empty": None, "core.same": 7}
    after = {"staging.a": 3, "core.b": 2, "metadata.empty": 9, "core.same": 7, "metadata.staging_rejects": 4}
    sets, drops = batch_pair.rewind_plan(before, after)
    assert sets == {"staging.a": 1}  # only what moved
    assert drops == ["metadata.empty", "metadata.staging_rejects"]  # empty before, or created since
    assert batch_pair.rewind_plan(before, dict(before)) == ({}, [])
