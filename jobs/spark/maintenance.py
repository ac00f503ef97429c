"""Table upkeep for Iceberg tables: compaction, snapshot expiry, orphan-file removal.

    maintenance.py [--tables raw.shopify_orders,raw.stripe_charges | --namespace raw]
                   [--retain-last 10] [--expire-older-than-hours 24] [--orphans-older-than-hours 24]

Streaming commits every checkpoint leave many small files and snapshots behind. This job, per
table: counts data files, runs `rewrite_data_files` (bin-pack), `expire_snapshots` (keeping
`--retain-last`), `remove_orphan_files` (listing through S3FileIO, no Hadoop S3 client needed),
and prints the file and snapshot counts before and after. Runnable alone (`icefloe spark run
maintenance`) and from Airflow.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timedelta, timezone

from icefloe_spark import CATALOG, emit, spark_session, watermarked_since

log = logging.getLogger("icefloe.spark.maintenance")


def counts(spark, table: str) -> dict:
    files = spark.sql(f"SELECT count(*) AS n, coalesce(sum(file_size_in_bytes), 0) AS b "
                      f"FROM {CATALOG}.{table}.files").first()
    snaps = spark.sql(f"SELECT count(*) AS n FROM {CATALOG}.{table}.snapshots").first().n
    return {"data_files": files.n, "bytes": int(files.b), "snapshots": snaps}


def maintain(spark, table: str, retain_last: int, expire_hours: float, orphan_hours: float) -> dict:
    before = counts(spark, table)
    t0 = time.monotonic()
    rewritten = spark.sql(
        f"CALL {CATALOG}.system.rewrite_data_files(table => '{table}', "
        f"options => map('min-input-files', '2', 'partial-progress.enabled', 'true'))").first()
    expire_ts = (datetime.now(timezone.utc) - timedelta(hours=expire_hours)).strftime("%Y-%m-%d %H:%M:%S")
    protected = watermarked_since(spark, table)
    if protected and protected < expire_ts:
        # an incremental job still starts from that snapshot: keep it (and all after it)
        log.info("%s: keeping snapshots from %s on (an incremental watermark points there)", table, protected)
        expire_ts = protected
    expired = spark.sql(
        f"CALL {CATALOG}.system.expire_snapshots(table => '{table}', "
        f"older_than => TIMESTAMP '{expire_ts}', retain_last => {retain_last})").first()
    orphan_ts = (datetime.now(timezone.utc) - timedelta(hours=orphan_hours)).strftime("%Y-%m-%d %H:%M:%S")
    orphans = spark.sql(
        f"CALL {CATALOG}.system.remove_orphan_files(table => '{table}', "
        f"older_than => TIMESTAMP '{orphan_ts}', prefix_listing => true)").collect()
    after = counts(spark, table)
    result = {
        "table": table, "before": before, "after": after, "seconds": round(time.monotonic() - t0, 1),
        "rewritten_data_files": rewritten.rewritten_data_files_count,
        "added_data_files": rewritten.added_data_files_count,
        "expired_data_files": expired.deleted_data_files_count,
        "orphan_files_removed": len(orphans),
    }
    log.info("%s: data files %d -> %d, snapshots %d -> %d, %d orphan files removed (%.1fs)", table,
             before["data_files"], after["data_files"], before["snapshots"], after["snapshots"],
             len(orphans), result["seconds"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", help="comma-separated namespace.table names")
    parser.add_argument("--namespace", default="raw", help="all tables of this namespace (default raw)")
    parser.add_argument("--retain-last", type=int, default=10)
    parser.add_argument("--expire-older-than-hours", type=float, default=24)
    parser.add_argument("--orphans-older-than-hours", type=float, default=24,
                        help="never below the longest write: younger files may belong to a running commit")
    args = parser.parse_args(argv)
    if args.orphans_older_than_hours < 24:
        parser.error("--orphans-older-than-hours must be at least 24: Iceberg refuses shorter intervals, "
                     "since younger files may belong to a commit still in progress")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    spark = spark_session("icefloe-maintenance")
    if args.tables:
        tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    else:
        tables = [f"{args.namespace}.{r.tableName}" for r in spark.sql(f"SHOW TABLES IN {CATALOG}.{args.namespace}").collect()]
    results = [maintain(spark, t, args.retain_last, args.expire_older_than_hours, args.orphans_older_than_hours)
               for t in tables]
    emit("ICEFLOE_RESULT", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
