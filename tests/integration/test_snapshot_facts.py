"""What the batch jobs ask Iceberg through the JVM (jobs/spark/icefloe_spark.py) agrees with the
metadata tables Spark SQL answers from, and entity resolution's hand-back MERGE replaces exactly the
changed keys' rows.

The jobs used to answer "which snapshot is current", "which are its ancestors", "how many rows does
that snapshot hold", "how many rows did these snapshots append" and "what is the latest audit time
in it" with queries of `<table>.history`,
`.snapshots` and the data (a Spark job each); they now read the Iceberg table object. The oracle
here is the old queries, on a real Iceberg table (local Spark, a Hadoop catalog in a temporary
directory, merge-on-read deletes and a rollback included). The audit bound comes from file
statistics, so it may lie above the live rows' maximum (a deleted row), never below it, and no row
written before the snapshot may lie above it. Needs `.venv-spark`, Java and the Spark jars
(`make setup`), no stack.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from icefloe import PROJECT_ROOT

pytestmark = pytest.mark.integration
SPARK_PY = PROJECT_ROOT / ".venv-spark" / "bin" / "python"

SCRIPT = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
import pyarrow as pa
from pyspark.sql import SparkSession
import icefloe_spark as ic
import entity_resolution as er

spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").config("spark.jars", os.environ["ICEFLOE_SPARK_JARS"])
         .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
         .config(f"spark.sql.catalog.{ic.CATALOG}", "org.apache.iceberg.spark.SparkCatalog")
         .config(f"spark.sql.catalog.{ic.CATALOG}.type", "hadoop")
         .config(f"spark.sql.catalog.{ic.CATALOG}.warehouse", sys.argv[2])
         .config("spark.sql.defaultCatalog", ic.CATALOG).config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
MOR = "TBLPROPERTIES ('format-version'='2', 'write.merge.mode'='merge-on-read', 'write.delete.mode'='merge-on-read')"
out = {"checks": []}

def by_sql(table):
    cur = spark.sql(f"SELECT snapshot_id FROM {table}.history WHERE is_current_ancestor "
                    "ORDER BY made_current_at DESC LIMIT 1").collect()
    # (a snapshot made current again by a rollback is in the history twice)
    anc = sorted({r.snapshot_id for r in spark.sql(f"SELECT snapshot_id FROM {table}.history WHERE is_current_ancestor").collect()})
    return (cur[0].snapshot_id if cur else None), anc

def by_jvm(table):
    return ic.current_snapshot(spark, table), sorted(ic.current_ancestors(spark, table))

T = "staging.t"
spark.sql("CREATE NAMESPACE IF NOT EXISTS staging")
spark.sql(f"CREATE TABLE {T} (id INT, v STRING, _staged_at TIMESTAMP) USING iceberg {MOR}")
out["checks"].append(["empty", by_sql(T), by_jvm(T)])
snaps = []
for i in range(3):
    spark.sql(f"INSERT INTO {T} SELECT id, 'v', current_timestamp() FROM range({i * 10}, {i * 10 + 10}) r(id)")
    snaps.append(ic.current_snapshot(spark, T))
    time.sleep(0.01)
spark.sql(f"MERGE INTO {T} t USING (SELECT 25 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE")  # a delete file
out["checks"].append(["after a delete", by_sql(T), by_jvm(T)])
out["snapshots"] = []
for sid in snaps + [ic.current_snapshot(spark, T)]:
    n = spark.sql(f"SELECT summary['total-records'] AS n FROM {T}.snapshots WHERE snapshot_id = {sid}").first().n
    exact = spark.sql(f"SELECT unix_micros(max(_staged_at)) AS m FROM {T} VERSION AS OF {sid}").first().m
    bound = ic.latest_audit_micros(spark, T, sid, "_staged_at")
    before = spark.sql(f"SELECT count(*) AS n FROM {T} VERSION AS OF {sid} WHERE _staged_at > timestamp_micros({bound})").first().n
    after = spark.sql(f"SELECT count(*) AS n FROM {T} WHERE _staged_at > timestamp_micros({bound})").first().n
    out["snapshots"].append({"records_sql": int(n), "records_jvm": ic.snapshot_records(spark, T, sid),
                             "exact": exact, "bound": bound, "rows_of_it_above": before, "rows_above": after})
def incremental(start, end):
    return spark.sql(f"SELECT count(*) AS n FROM {T} WITH ('start-snapshot-id' = '{start}', 'end-snapshot-id' = '{end}')").first().n
last = ic.current_snapshot(spark, T)
out["appended"] = {"range": [ic.appended_records(spark, T, snaps[0], snaps[2]), incremental(snaps[0], snaps[2])],
                   "whole": [ic.appended_records(spark, T, None, snaps[2]), 30],
                   "over a delete": ic.appended_records(spark, T, snaps[0], last),
                   "not an ancestor": ic.appended_records(spark, T, snaps[2], snaps[0])}
spark.sql(f"CALL {ic.CATALOG}.system.rollback_to_snapshot('{T}', {snaps[1]})")
out["checks"].append(["after a rollback", by_sql(T), by_jvm(T)])
out["rolled_back_to"] = snaps[1]

# entity resolution's hand-back: rid s|1 changes its rows, s|3 loses them, s|9 is new, s|2 stays
spark.sql("CREATE NAMESPACE IF NOT EXISTS semantic")
spark.sql(f"CREATE TABLE semantic.blocking_index (blocking_key STRING, blocking_type STRING, source STRING, "
          f"source_id STRING, rid STRING) USING iceberg {MOR}")
spark.sql("INSERT INTO semantic.blocking_index VALUES ('k1', 'email', 's', '1', 's|1'), ('k2', 'phone', 's', '1', 's|1'), "
          "('k3', 'email', 's', '2', 's|2'), ('k4', 'email', 's', '3', 's|3')")
spark.createDataFrame(pa.table({"rid": ["s|1", "s|3", "s|9"]})).createOrReplaceTempView("back_keys")
rows = spark.createDataFrame(pa.table({"blocking_key": ["k1b", "k9"], "blocking_type": ["email", "email"],
                                       "source": ["s", "s"], "source_id": ["1", "9"], "rid": ["s|1", "s|9"]}))
rows.createOrReplaceTempView("back_rows")
spark.sql(er._hand_back_merge("semantic.blocking_index", er.HAND_BACK["semantic.blocking_index"], "back",
                              {f.name: f.dataType.simpleString() for f in rows.schema}))
out["blocking"] = sorted(list(r) for r in spark.sql("SELECT * FROM semantic.blocking_index").collect())
out["last_write"] = spark.sql("SELECT summary['added-delete-files'] AS d, summary['deleted-data-files'] AS r "
                              "FROM semantic.blocking_index.snapshots ORDER BY committed_at DESC LIMIT 1").first().asDict()
print("RESULT " + json.dumps(out))
"""


def test_snapshot_facts_agree_with_the_metadata_tables_and_the_hand_back_replaces_only_changed_keys(tmp_path):
    if not SPARK_PY.exists():
        pytest.skip("no .venv-spark: run `make venvs`")
    from icefloe.jobs import spark_command

    _, env = spark_command("staging", [])
    proc = subprocess.run([str(SPARK_PY), "-c", SCRIPT, str(PROJECT_ROOT / "jobs" / "spark"), str(tmp_path / "wh")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[len("RESULT "):])

    for label, sql, jvm in out["checks"]:
        assert jvm == sql, f"{label}: JVM {jvm} != metadata tables {sql}"
    assert out["checks"][0][2] == [None, []]
    assert out["checks"][2][2][0] == out["rolled_back_to"]
    assert len(out["checks"][1][2][1]) == 4  # three inserts and the delete, all current ancestors

    for i, s in enumerate(out["snapshots"]):
        assert s["records_jvm"] == s["records_sql"], s
        assert s["bound"] >= s["exact"] and s["rows_of_it_above"] == 0, s
    # rows written after each insert lie above its bound: 20 - 1 deleted, 10 - 1, none after the last
    assert [s["rows_above"] for s in out["snapshots"]] == [19, 9, 0, 0]

    appended = out["appended"]
    assert appended["range"] == [20, 20] and appended["whole"] == [30, 30], appended
    assert appended["over a delete"] is None and appended["not an ancestor"] is None, appended

    assert out["blocking"] == [["k1b", "email", "s", "1", "s|1"], ["k3", "email", "s", "2", "s|2"],
                               ["k9", "email", "s", "9", "s|9"]]
    # merge-on-read: a delete file, no data file rewritten
    assert out["last_write"]["d"] == "1" and out["last_write"]["r"] in (None, "0"), out["last_write"]
