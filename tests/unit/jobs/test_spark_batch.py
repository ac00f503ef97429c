"""jobs/spark/batch.py schedules entity resolution beside staging: it starts once the tables it reads
are staged, while the others are still being built. Staging and entity resolution are stand-ins here
(their own tests run them for real); the scheduling, the failure handling and the reported times are
batch.py's and icefloe_spark.side_by_side's own."""

import json
import sys
import threading
import time
import types

import pytest

from icefloe import PROJECT_ROOT

FEEDS = ("shopify_customers", "stripe_customers")  # what the stand-in entity resolution reads
OTHERS = ("shopify_orders", "stripe_refunds", "stripe_disputes")


class _Session:
    def sql(self, text):
        return None

    def newSession(self):  # noqa: N802 - PySpark's name
        return _Session()


@pytest.fixture
def batch(spark_common, load_job, monkeypatch):
    """batch.py with stand-ins for the `staging` and `entity_resolution` modules it imports."""
    events, lock = [], threading.Lock()
    er_started = threading.Event()
    fail = set()

    def note(what):
        with lock:
            events.append(what)

    def staging_run(session, table, mode):
        if table in fail:
            note(f"failed {table}")
            raise RuntimeError(f"staging of {table} broke")
        if table == "stripe_disputes":
            # finishes only once entity resolution has started: with ER after all of staging this hangs
            assert er_started.wait(timeout=1 if staging_run.expect_overlap else 0.01) or not staging_run.expect_overlap
            time.sleep(0.2)
        note(f"staged {table}")
        return {"table": f"staging.stg_{table}", "rows_merged": 1}

    staging_run.expect_overlap = True

    def run_catalog(mode, sources, spark=None):
        note("er start")
        er_started.set()
        time.sleep(0.3)
        note("er end")
        return {"records": 2, "changed_records": 2}

    fake_staging = types.SimpleNamespace(TABLES=dict.fromkeys(FEEDS + OTHERS), run=staging_run)
    fake_er = types.SimpleNamespace(SOURCES_FILE="er_sources.yaml", run_catalog=run_catalog,
                                    input_tables=lambda path: sorted(f"staging.stg_{t}" for t in FEEDS))
    monkeypatch.setitem(sys.modules, "staging", fake_staging)
    monkeypatch.setitem(sys.modules, "entity_resolution", fake_er)
    module = load_job(PROJECT_ROOT / "jobs" / "spark" / "batch.py", "icefloe_batch")
    return types.SimpleNamespace(module=module, events=events, fail=fail, staging_run=staging_run)


def _lines(out: str, marker: str) -> list[dict]:
    return [json.loads(ln.split(" ", 1)[1]) for ln in out.splitlines() if ln.startswith(marker + " ")]


def test_entity_resolution_starts_once_its_inputs_are_staged_beside_the_other_tables(batch, monkeypatch, capsys):
    monkeypatch.setenv("ICEFLOE_BATCH_PARALLELISM", "2")
    batch.module.staging_and_er(_Session(), "incremental")
    ev = batch.events
    start = ev.index("er start")
    assert {f"staged {t}" for t in FEEDS} <= set(ev[:start])  # never before its inputs
    assert "staged stripe_disputes" in ev[start:]  # a table it does not read was still being built
    out = capsys.readouterr().out
    steps = {s["step"]: s for s in _lines(out, "ICEFLOE_STEP")}
    assert steps["entity_resolution"]["overlap"] > 0
    assert steps["entity_resolution"]["overlap"] <= steps["entity_resolution"]["seconds"]
    er = [r for r in _lines(out, "ICEFLOE_RESULT") if r["step"] == "entity_resolution"]
    assert len(er) == 1 and er[0]["table"] == "semantic.entity_index"
    assert er[0]["seconds"] < 1.0  # its own time, not the wait for its inputs
    assert len([r for r in _lines(out, "ICEFLOE_RESULT") if r["step"] == "staging"]) == len(FEEDS + OTHERS)


def test_a_failed_input_table_stops_entity_resolution_and_the_others_finish(batch, monkeypatch, capsys):
    monkeypatch.setenv("ICEFLOE_BATCH_PARALLELISM", "2")
    batch.fail.add("stripe_customers")
    batch.staging_run.expect_overlap = False
    with pytest.raises(RuntimeError, match="staging of stripe_customers broke"):
        batch.module.staging_and_er(_Session(), "incremental")
    assert "er start" not in batch.events
    assert {f"staged {t}" for t in OTHERS} <= set(batch.events)
    assert "entity_resolution" not in {s["step"] for s in _lines(capsys.readouterr().out, "ICEFLOE_STEP")}


def test_one_at_a_time_entity_resolution_runs_after_every_table(batch, monkeypatch, capsys):
    monkeypatch.setenv("ICEFLOE_BATCH_PARALLELISM", "1")
    batch.staging_run.expect_overlap = False
    batch.module.staging_and_er(_Session(), "incremental")
    assert batch.events[-2:] == ["er start", "er end"]
    steps = {s["step"]: s for s in _lines(capsys.readouterr().out, "ICEFLOE_STEP")}
    assert steps["entity_resolution"]["overlap"] == 0


def test_without_entity_resolution_only_staging_runs(batch, monkeypatch, capsys):
    monkeypatch.setenv("ICEFLOE_BATCH_PARALLELISM", "3")
    batch.staging_run.expect_overlap = False
    batch.module.staging_and_er(_Session(), "incremental", with_er=False)
    assert "er start" not in batch.events and len(batch.events) == len(FEEDS + OTHERS)
