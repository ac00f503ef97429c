"""Incremental invariants 1 and 2 of the staging job and its schema evolution, on the real stack.

Raw rows are appended with pyiceberg (tests/integration/batch/raw_writer.py: one real Iceberg commit
per call, as the streaming job makes them), so the test decides when a streaming commit lands. The
job pauses at a named point when told to (`pause_point` in jobs/spark/icefloe_spark.py:
ICEFLOE_TEST_PAUSE_AT / ICEFLOE_TEST_PAUSE_DIR); the test then appends to raw, or SIGKILLs the job.

- Invariant 1: a commit to raw that lands after the job has planned its snapshot range is not part
  of this run and is picked up by the next one.
- Invariant 2: a job SIGKILLed between its write and its watermark leaves the watermark where it
  was; the rerun re-reads the same range and the table equals an uninterrupted build.
- Schema evolution: a payload field the staging SQL declares becomes a column added by the job
  (ALTER TABLE ADD COLUMN, the existing data files untouched); an unknown field is reported in the
  job's ICEFLOE_RESULT and the run succeeds.

The oracle for "identical tables" is a full rebuild of the staging table from raw (`--mode full`),
compared row for row, audit column `_staged_at` aside. Each test uses a staging table of its own
that no layer reads, and object ids no other test writes.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.batch import payloads as p
from tests.integration.batch.tables import table_rows

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

WATERMARKS = "metadata.incremental_watermarks"


class Job:
    """One staging.py process, managed here so the test can act when it pauses (or kill it)."""

    def __init__(self, stack, args: list[str], pause_at: str | None, pause_dir: Path,
                 on_pause: Callable[[Job], None] | None, extra_env: dict[str, str] | None = None) -> None:
        from icefloe import PROJECT_ROOT
        from icefloe.jobs import spark_command

        env = dict(extra_env or {})
        if pause_at:
            env.update({"ICEFLOE_TEST_PAUSE_AT": pause_at, "ICEFLOE_TEST_PAUSE_DIR": str(pause_dir)})
        argv, env = spark_command("staging", args, stack.settings, env)
        self.pause_dir, self.pause_at = pause_dir, pause_at
        self.lines: list[str] = []
        self.paused = False
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     cwd=PROJECT_ROOT, start_new_session=True)
        try:
            for line in self.proc.stdout:  # type: ignore[union-attr]
                self.lines.append(line)
                if line.startswith(f"ICEFLOE_PAUSED {pause_at}") and on_pause:
                    self.paused = True
                    on_pause(self)
            self.returncode = self.proc.wait()
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.seconds = time.monotonic() - t0

    def resume(self) -> None:
        (self.pause_dir / f"resume-{self.pause_at}").touch()

    def kill(self) -> None:
        """SIGKILL the job's whole process group: the Python driver and Spark's JVM."""
        os.killpg(self.proc.pid, signal.SIGKILL)

    def result(self) -> dict:
        lines = [ln for ln in self.lines if ln.startswith("ICEFLOE_RESULT ")]
        assert self.returncode == 0 and len(lines) == 1, "".join(self.lines[-40:])
        return json.loads(lines[0].split(" ", 1)[1])


def staging(stack, tmp_path: Path, table: str, mode: str = "incremental", pause_at: str | None = None,
            on_pause: Callable[[Job], None] | None = None, extra_env: dict[str, str] | None = None) -> Job:
    pause_dir = tmp_path / f"pause-{time.monotonic_ns()}"
    pause_dir.mkdir()
    job = Job(stack, ["--table", table, "--mode", mode], pause_at, pause_dir, on_pause, extra_env)
    if pause_at and on_pause:
        assert job.paused, f"the job never paused at {pause_at}:\n" + "".join(job.lines[-40:])
    return job


@pytest.fixture(scope="module")
def catalog(stack):
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile

    return load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())


def by_id(catalog, table: str, key: str, ids: set[str]) -> dict[str, dict]:
    from pyiceberg.expressions import In

    found = catalog.load_table(table).scan(row_filter=In(key, ids)).to_arrow().to_pylist()
    return {r[key]: r for r in found}


def watermark(catalog, target: str, source: str) -> int | None:
    from pyiceberg.expressions import And, EqualTo

    if not catalog.table_exists(WATERMARKS):
        return None
    got = catalog.load_table(WATERMARKS).scan(
        row_filter=And(EqualTo("job_name", target), EqualTo("source_table", source))).to_arrow().to_pylist()
    return got[0]["last_snapshot_id"] if got else None


def snapshot(catalog, table: str) -> int | None:
    snap = catalog.load_table(table).current_snapshot()
    return snap.snapshot_id if snap else None


def assert_equals_full_rebuild(stack, tmp_path, catalog, table: str) -> None:
    target = f"staging.stg_{table}"
    incremental = table_rows(catalog, target)
    staging(stack, tmp_path, table, mode="full").result()
    rebuilt = table_rows(catalog, target)
    assert incremental == rebuilt, (f"{target}: {len(incremental - rebuilt)} rows only incremental, "
                                    f"{len(rebuilt - incremental)} only in the full rebuild")


@pytest.mark.timeout(900)  # three Spark runs: 140 s measured at load average ~8 on 2 cores
def test_a_raw_commit_landing_mid_run_is_left_to_the_next_run_never_skipped(stack, catalog, tmp_path):
    from tests.integration.batch.raw_writer import append_raw

    table, target, source = "stripe_payment_intents", "staging.stg_stripe_payment_intents", "raw.stripe_payment_intents"
    at = p.T0 + timedelta(days=3)
    append_raw(catalog, table, [p.stripe_payment_intent(61000 + i, 2, at, amount=100 * (i + 1)) for i in range(4)])
    planned = snapshot(catalog, source)
    # mid-run: one new object and a newer version of one the run is staging
    mid_run = [p.stripe_payment_intent(61100, 3, at, amount=4242),
               p.stripe_payment_intent(61000, 2, at + timedelta(hours=1), amount=999, status="canceled")]
    landed = {}

    def streaming_commit(job: Job) -> None:
        landed["snapshot"] = append_raw(catalog, table, mid_run)
        job.resume()

    first = staging(stack, tmp_path, table, pause_at="planned", on_pause=streaming_commit).result()
    assert first["snapshot"] == planned != landed["snapshot"]
    assert watermark(catalog, target, source) == planned  # not the snapshot current when it wrote
    staged = by_id(catalog, target, "payment_intent_id", {"pi_test61000", "pi_test61100"})
    assert "pi_test61100" not in staged and staged["pi_test61000"]["status"] == "succeeded"

    second = staging(stack, tmp_path, table).result()
    assert second["rows_read"] == len(mid_run), second  # exactly the commit that landed mid-run
    assert watermark(catalog, target, source) == landed["snapshot"]
    staged = by_id(catalog, target, "payment_intent_id", {"pi_test61000", "pi_test61100"})
    assert staged["pi_test61100"]["amount"] == Decimal("42.42")
    assert staged["pi_test61000"]["status"] == "canceled"
    assert_equals_full_rebuild(stack, tmp_path, catalog, table)


@pytest.mark.timeout(900)  # four Spark runs: 255 s measured at load average ~8
def test_a_job_killed_between_its_write_and_its_watermark_reruns_to_identical_tables(stack, catalog, tmp_path):
    from tests.integration.batch.raw_writer import append_raw

    table, target, source = "stripe_subscriptions", "staging.stg_stripe_subscriptions", "raw.stripe_subscriptions"
    at = p.T0 + timedelta(days=3)
    append_raw(catalog, table, [p.stripe_subscription(62000 + i, 2 + i, at) for i in range(3)])
    staging(stack, tmp_path, table).result()
    before = watermark(catalog, target, source)
    assert before == snapshot(catalog, source)

    # updates and a new object, then a run SIGKILLed right after its first commit
    later = at + timedelta(days=1)
    new_snapshot = append_raw(catalog, table, [
        p.stripe_subscription(62000, 2, later, status="canceled", canceled_at=p._epoch(later)),
        p.stripe_subscription(62001, 3, later, status="past_due"),
        p.stripe_subscription(62100, 5, later)])
    target_before = snapshot(catalog, target)
    killed = staging(stack, tmp_path, table, pause_at="between_commits", on_pause=Job.kill)
    assert killed.returncode == -signal.SIGKILL
    assert snapshot(catalog, target) != target_before or watermark(catalog, target, source) != before, \
        "the job was killed before its first commit: the test exercises nothing"
    # the watermark never covers a write that has not committed: still the previous run's
    assert watermark(catalog, target, source) == before

    rerun = staging(stack, tmp_path, table).result()
    assert rerun["rows_read"] == 3  # the killed run's range, read again
    assert watermark(catalog, target, source) == new_snapshot
    staged = by_id(catalog, target, "subscription_id", {"sub_test62000", "sub_test62001", "sub_test62100"})
    assert {k: v["status"] for k, v in staged.items()} == {
        "sub_test62000": "canceled", "sub_test62001": "past_due", "sub_test62100": "active"}
    assert_equals_full_rebuild(stack, tmp_path, catalog, table)


@pytest.mark.timeout(900)  # four Spark runs
def test_a_hubspot_fold_killed_between_its_write_and_its_watermark_reruns_to_identical_tables(
        stack, catalog, tmp_path):
    """The fold of a HubSpot object's events (per property the latest): a rerun of a range whose write
    committed and whose watermark did not must not fold (or count) those events twice."""
    from tests.integration.batch.raw_writer import append_raw

    table, target, source = "hubspot_contacts", "staging.stg_hubspot_contacts", "raw.hubspot_contacts"
    at = p.T0 + timedelta(days=3)
    # a CRM backfill of three contacts, then a property change of one of them
    append_raw(catalog, table, [p.hubspot_contact(63000 + i, at) for i in range(3)]
               + [p.hubspot_event("contact", 63100, at + timedelta(hours=1), "jobtitle", "Buyer")])
    first = staging(stack, tmp_path, table).result()
    ids = {str(63100 + i) for i in range(3)} | {"63150"}
    assert first["rows_read"] >= 4 and by_id(catalog, target, "contact_id", ids)["63100"]["event_count"] == 2

    later = at + timedelta(days=1)
    new_snapshot = append_raw(catalog, table, [
        p.hubspot_event("contact", 63100, later, "email", "new.address@example.org"),
        # arrives after the change above but happened before it: loses to the stored jobtitle
        p.hubspot_event("contact", 63100, at, "jobtitle", "Intern"),
        p.hubspot_event("contact", 63150, later, change="creation"),
        p.hubspot_event("contact", 63150, later + timedelta(minutes=1), "firstname", "Noor")])
    before = watermark(catalog, target, source)
    killed = staging(stack, tmp_path, table, pause_at="between_commits", on_pause=Job.kill)
    assert killed.returncode == -signal.SIGKILL
    assert watermark(catalog, target, source) == before

    rerun = staging(stack, tmp_path, table).result()
    assert rerun["rows_read"] == 4, rerun
    assert watermark(catalog, target, source) == new_snapshot
    staged = by_id(catalog, target, "contact_id", ids)
    assert staged["63100"]["email"] == "new.address@example.org" and staged["63100"]["job_title"] == "Buyer"
    assert staged["63100"]["event_count"] == 4  # the killed run's rows counted once
    assert staged["63150"]["first_name"] == "Noor" and staged["63150"]["event_count"] == 2
    assert_equals_full_rebuild(stack, tmp_path, catalog, table)


def rejects(catalog, target: str) -> dict[str, dict]:
    """metadata.staging_rejects rows of `target`, by object id."""
    from pyiceberg.expressions import EqualTo

    if not catalog.table_exists("metadata.staging_rejects"):
        return {}
    rows = catalog.load_table("metadata.staging_rejects").scan(row_filter=EqualTo("table_name", target))
    return {r["object_id"]: r for r in rows.to_arrow().to_pylist()}


@pytest.mark.timeout(900)  # four Spark runs, one of them bisecting its batch
def test_a_raw_row_that_does_not_type_is_listed_and_the_rest_of_its_batch_is_staged(stack, catalog, tmp_path):
    """Bad input never blocks a staging table: a raw row whose value does not fit its column (Spark's
    ANSI mode raises for the whole batch) is found, listed in metadata.staging_rejects with the error,
    left in raw, and the other rows of the batch are staged; a later, valid version of the object is
    staged as usual. A subscription without items (`items.data: []`) is valid and stages with NULL
    price fields (it used to fail the batch: `items[0]` is an error under ANSI)."""
    from tests.integration.batch.raw_writer import append_raw

    table, target, source = "stripe_subscriptions", "staging.stg_stripe_subscriptions", "raw.stripe_subscriptions"
    at = p.T0 + timedelta(days=5)
    huge = p.stripe_subscription(64002, 9, at)
    huge["data"]["object"]["items"]["data"][0]["price"]["unit_amount"] = 10**18  # > DECIMAL(18,3)
    empty = p.stripe_subscription(64001, 8, at)
    empty["data"]["object"]["items"]["data"] = []
    snap = append_raw(catalog, table, [p.stripe_subscription(64000, 7, at), empty, huge])

    first = staging(stack, tmp_path, table).result()
    assert first["rejected_rows"] == 1 and "NUMERIC_VALUE_OUT_OF_RANGE" in first["rejects"][0], first
    assert watermark(catalog, target, source) == snap  # the batch went through
    ids = {"sub_test64000", "sub_test64001", "sub_test64002"}
    staged = by_id(catalog, target, "subscription_id", ids)
    assert set(staged) == {"sub_test64000", "sub_test64001"}, staged
    assert staged["sub_test64001"]["item_count"] == 0 and staged["sub_test64001"]["price_id"] is None
    listed = rejects(catalog, target)
    assert set(listed) == {"sub_test64002"}, listed
    assert listed["sub_test64002"]["raw_table"] == source and listed["sub_test64002"]["_webhook_id"]
    assert "NUMERIC_VALUE_OUT_OF_RANGE" in listed["sub_test64002"]["error"]

    # the provider sends a valid version later: staged; the bad row stays listed (it is still bad)
    fixed = p.stripe_subscription(64002, 9, at + timedelta(hours=1))
    append_raw(catalog, table, [fixed])
    second = staging(stack, tmp_path, table).result()
    assert second["rows_read"] == 1 and "rejected_rows" not in second, second
    assert by_id(catalog, target, "subscription_id", ids)["sub_test64002"]["unit_amount"] == Decimal("15.000")
    assert set(rejects(catalog, target)) == {"sub_test64002"}
    # a full rebuild tries the listed row again, rejects it again, and builds the same table
    assert_equals_full_rebuild(stack, tmp_path, catalog, table)
    assert set(rejects(catalog, target)) == {"sub_test64002"}


def _sql_with_declared_field(tmp_path: Path) -> Path:
    """A copy of sql/ whose stg_shopify_products declares the new payload field `x_loyalty_tier`."""
    import shutil

    from icefloe import PROJECT_ROOT

    root = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", root)
    f = root / "01_staging" / "stg_shopify_products.sql"
    text = f.read_text()
    edits = [
        ("  tags                STRING,\n", "  tags                STRING,\n  loyalty_tier        STRING,\n"),
        ("product_id, title, vendor, product_type, handle, status, tags,",
         "product_id, title, vendor, product_type, handle, status, tags, loyalty_tier,"),
        ("    coalesce(p.variants, array())",
         "    get_json_object(payload, '$.x_loyalty_tier')                           AS loyalty_tier,\n"
         "    coalesce(p.variants, array())"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, f"{f.name} changed shape; update this test's edit of {old!r}"
        text = text.replace(old, new)
    f.write_text(text)
    return root


@pytest.mark.timeout(900)  # two Spark runs: 110 s measured at load average ~8
def test_a_declared_new_field_is_added_as_a_column_without_rewrite_and_an_unknown_one_is_reported(
        stack, catalog, tmp_path):
    from tests.integration.batch.raw_writer import append_raw

    table, target = "shopify_products", "staging.stg_shopify_products"
    at = p.T0 + timedelta(days=3)
    append_raw(catalog, table, [p.shopify_product(63000 + i, at) for i in range(3)])
    staging(stack, tmp_path, table).result()
    tbl = catalog.load_table(target)
    files_before = {r["file_path"]: r["record_count"] for r in tbl.inspect.files().to_pylist()}
    assert files_before and "loyalty_tier" not in {f.name for f in tbl.schema().fields}

    later = at + timedelta(days=1)
    append_raw(catalog, table, [p.shopify_product(63000, later, title="Renamed", x_loyalty_tier="gold",
                                                  x_surprise_field={"a": 1}),
                                p.shopify_product(63100, later, x_loyalty_tier="silver")])
    try:
        result = staging(stack, tmp_path, table, extra_env={"ICEFLOE_SQL_DIR": str(_sql_with_declared_field(tmp_path))}
                         ).result()
        assert result["added_columns"] == ["loyalty_tier"]
        assert result["unexpected_fields"] == ["x_surprise_field"]  # reported; the run succeeded
        tbl = catalog.load_table(target)
        names = [f.name for f in tbl.schema().fields]
        assert names[names.index("tags") + 1] == "loyalty_tier"  # where a fresh CREATE TABLE puts it
        # no rewrite: every data file of before is still live, unchanged (the update is a delete file)
        files_after = {r["file_path"]: r["record_count"] for r in tbl.inspect.files().to_pylist()}
        assert files_before.items() <= files_after.items()
        staged = by_id(catalog, target, "product_id", {str(8_000_000_000_000 + i) for i in (63000, 63001, 63100)})
        assert {k: (v["title"], v["loyalty_tier"]) for k, v in staged.items()} == {
            "8000000063000": ("Renamed", "gold"), "8000000063001": ("Product 63001", None),
            "8000000063100": ("Product 63100", "silver")}
    finally:
        # the shared stack's SQL does not declare the column: drop it again (metadata only)
        tbl = catalog.load_table(target)
        if "loyalty_tier" in {f.name for f in tbl.schema().fields}:
            with tbl.update_schema() as update:
                update.delete_column("loyalty_tier")
