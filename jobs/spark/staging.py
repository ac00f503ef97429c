"""Staging: raw.<source>_<object> -> staging.stg_<source>_<object>.

    staging.py --table shopify_orders [--mode incremental|full]

Incremental runs read the raw table by Iceberg snapshot range, from the snapshot recorded in
`metadata.incremental_watermarks` (exclusive) to the table's current snapshot (inclusive), so a
streaming commit that lands while the job runs is picked up next time, never skipped. New rows
are typed by the table's TRANSFORM SQL, reduced to the latest version per id (provider
updated_at, then Kafka offset) and MERGEd into the staging table; only then does the watermark
advance. A crash in between re-processes the same range, and the MERGE makes that harmless.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from icefloe_spark import CATALOG, LayerSql, spark_session

log = logging.getLogger("icefloe.spark.staging")

#: the primary key of each staging table
KEYS = {"shopify_orders": "order_id"}

WATERMARKS = "metadata.incremental_watermarks"


def ensure_tables(spark, table: str) -> LayerSql:
    sql = LayerSql.load("01_staging", f"stg_{table}")
    spark.sql(sql.ddl)
    spark.sql(LayerSql.load("metadata", "incremental_watermarks").ddl)
    return sql


def current_snapshot(spark, table: str) -> int | None:
    rows = spark.sql(
        f"SELECT snapshot_id FROM {CATALOG}.{table}.snapshots ORDER BY committed_at DESC LIMIT 1").collect()
    return rows[0].snapshot_id if rows else None


def read_watermark(spark, job: str, source: str) -> int | None:
    rows = spark.sql(
        f"SELECT last_snapshot_id FROM {WATERMARKS} WHERE job_name = '{job}' AND source_table = '{source}'"
    ).collect()
    return rows[0].last_snapshot_id if rows else None


def write_watermark(spark, job: str, source: str, snapshot_id: int, rows: int) -> None:
    spark.sql(f"""
        MERGE INTO {WATERMARKS} t
        USING (SELECT '{job}' AS job_name, '{source}' AS source_table, CAST({snapshot_id} AS BIGINT) AS last_snapshot_id,
                      CAST({rows} AS BIGINT) AS rows_processed, current_timestamp() AS updated_at) s
        ON t.job_name = s.job_name AND t.source_table = s.source_table
        WHEN MATCHED THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *
    """)


def run(table: str, mode: str) -> dict:
    spark = spark_session(f"icefloe-staging-{table}")
    key = KEYS[table]
    source, target = f"raw.{table}", f"staging.stg_{table}"
    if not spark.catalog.tableExists(f"{CATALOG}.{source}"):
        raise SystemExit(f"{source} does not exist yet: run the Flink raw job first "
                         f"(`icefloe flink run --sources {table}`)")
    sql = ensure_tables(spark, table)
    end = current_snapshot(spark, source)
    start = None if mode == "full" else read_watermark(spark, target, source)
    if end is None or start == end:
        log.info("%s: nothing new in %s (snapshot %s)", target, source, end)
        return {"table": target, "rows_read": 0, "rows_merged": 0, "snapshot": end}

    # Spark 4.1 + Iceberg 1.11 cannot MERGE from a DataFrame-registered temp view
    # (apache/iceberg#16451); every view below is therefore defined in SQL.
    if start is not None:
        log.info("%s: reading %s snapshots (%s, %s]", target, source, start, end)
        options = f"WITH ('start-snapshot-id' = '{start}', 'end-snapshot-id' = '{end}')"
        spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_batch AS SELECT * FROM {CATALOG}.{source} {options}")
    else:
        log.info("%s: full read of %s at snapshot %s", target, source, end)
        spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_batch AS "
                  f"SELECT * FROM {CATALOG}.{source} VERSION AS OF {end}")
    spark.sql(f"CREATE OR REPLACE TEMP VIEW typed_batch AS {sql.transform}")
    spark.sql(f"""
        CREATE OR REPLACE TEMP VIEW latest_batch AS
        SELECT * EXCEPT (_rn) FROM (
          SELECT *, ROW_NUMBER() OVER (
            PARTITION BY {key} ORDER BY updated_at DESC NULLS LAST, _kafka_offset DESC) AS _rn
          FROM typed_batch WHERE {key} IS NOT NULL
        ) WHERE _rn = 1
    """)
    rows_read = spark.sql("SELECT count(*) AS n FROM raw_batch").first().n
    rows = spark.sql("SELECT count(*) AS n FROM latest_batch").first().n
    if mode == "full":
        # One commit replaces the whole table: readers never see it empty.
        spark.sql(f"INSERT OVERWRITE {target} SELECT * FROM latest_batch")
    else:
        spark.sql(f"""
            MERGE INTO {target} t
            USING latest_batch s
            ON t.{key} = s.{key}
            WHEN MATCHED AND (s.updated_at > t.updated_at
                              OR (s.updated_at = t.updated_at AND s._kafka_offset > t._kafka_offset)
                              OR t.updated_at IS NULL)
              THEN UPDATE SET *
            WHEN NOT MATCHED THEN INSERT *
        """)
    # Only now, with the MERGE committed, may the watermark move (invariant 2).
    write_watermark(spark, target, source, end, rows_read)
    log.info("%s: %d raw rows -> %d ids merged; watermark %s", target, rows_read, rows, end)
    return {"table": target, "rows_read": rows_read, "rows_merged": rows, "snapshot": end}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True, choices=sorted(KEYS), help="<source>_<object>")
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    t0 = time.monotonic()
    result = run(args.table, args.mode)
    log.info("done in %.1fs: %s", time.monotonic() - t0, result)
    print(f"ICEFLOE_RESULT {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
