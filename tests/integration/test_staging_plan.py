"""Staging parses each raw payload once: the id filter of `latest_batch` must not reach the raw scan.

Spark pushes a deterministic filter as far down as it can. Below the cache of the typed batch,
`<id> IS NOT NULL` lands on the raw scan as `isnotnull(from_json(payload).id)`, so every raw row was
parsed once more just for the filter, and for a HubSpot fold (whose batch is a semi-join of the
raw table with the ids that have news) that was every row of the raw table, not the batch's few.

The check runs staging's own views (`staging._typed_views`, `_type_batch`) on a Parquet file (a real
scan Spark can push filters into) in local Spark: the plan must hold no filter that parses JSON, and
the rows must be the right ones (a raw row without an id is left out). Needs `.venv-spark` and Java,
no stack.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from icefloe import PROJECT_ROOT

pytestmark = pytest.mark.integration
SPARK_PY = PROJECT_ROOT / ".venv-spark" / "bin" / "python"

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from pyspark.sql import SparkSession
import staging

spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
cases, out = json.loads(open(sys.argv[2]).read()), {}
for table, payloads in cases.items():
    rows = [(str(i), json.dumps(p), f"wh{i}", 0, i) for i, p in enumerate(payloads)]
    path = f"{sys.argv[3]}/{table}"
    spark.createDataFrame(rows, "object_id string, payload string, _webhook_id string, _kafka_partition int, "
                                "_kafka_offset bigint").write.parquet(path)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_batch AS SELECT * FROM parquet.`{path}`")
    spec, sql = staging.TABLES[table], staging.LayerSql.load("01_staging", f"stg_{table}")
    staging._typed_views(spark, spec, sql)
    plan = spark.sql(f"SELECT * FROM {staging.TYPED_LATEST}")._jdf.queryExecution().executedPlan().toString()
    assert staging._type_batch(spark, f"staging.stg_{table}", f"raw.{table}", spec, sql, "") == {}
    ids = sorted(r[0] for r in spark.sql(f"SELECT {spec.key} FROM latest_batch").collect())
    out[table] = {"filters": [ln.strip() for ln in plan.splitlines() if "Filter" in ln], "ids": ids}
print("RESULT " + json.dumps(out))
"""


def _hubspot(object_id: int | None, prop: str, value: str, at_ms: int) -> dict:
    event = {"eventId": at_ms, "subscriptionType": "deal.propertyChange", "propertyName": prop,
             "propertyValue": value, "occurredAt": at_ms}
    return event if object_id is None else {**event, "objectId": object_id}


def test_staging_parses_each_payload_once_and_leaves_rows_without_an_id_out(tmp_path):
    if not SPARK_PY.exists():
        pytest.skip("no .venv-spark: run `make venvs`")
    cases = {
        # strategy `fold`: two events of deal 7, one of deal 8, one without an object id
        "hubspot_deals": [_hubspot(7, "dealname", "A", 1_700_000_000_000), _hubspot(7, "amount", "10", 1_700_000_001_000),
                          _hubspot(8, "dealname", "B", 1_700_000_002_000), _hubspot(None, "dealname", "C", 1_700_000_003_000)],
        # strategy `latest`: two versions of order 1, one of order 2, one without an id
        "shopify_orders": [{"id": 1, "updated_at": "2026-11-01T09:00:00Z", "total_price": "5.00"},
                           {"id": 1, "updated_at": "2026-11-01T10:00:00Z", "total_price": "6.00"},
                           {"id": 2, "updated_at": "2026-11-01T09:00:00Z", "total_price": "7.00"},
                           {"updated_at": "2026-11-01T09:00:00Z", "total_price": "8.00"}],
    }
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    proc = subprocess.run([str(SPARK_PY), "-c", SCRIPT, str(PROJECT_ROOT / "jobs" / "spark"), str(tmp_path / "cases.json"),
                           str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[len("RESULT "):])
    assert result["hubspot_deals"]["ids"] == ["7", "8"]
    assert result["shopify_orders"]["ids"] == ["1", "2"]
    for table, r in result.items():
        assert r["filters"], f"{table}: no filter in the plan at all; the check would prove nothing"
        parsing = [f for f in r["filters"] if "from_json" in f or "json" in f.lower()]
        assert not parsing, f"{table}: a filter parses JSON (a second parse of each raw row): {parsing}"
