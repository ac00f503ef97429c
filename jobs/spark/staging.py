"""Staging: raw.<source>_<object> -> staging.stg_<source>_<object>, for every source in sources.yaml.

    staging.py --table shopify_orders [--mode incremental|full|range] [--start-date D --end-date D]
    staging.py --all

Modes:
  incremental (default)  read the raw table by Iceberg snapshot range, from the snapshot recorded in
                         `metadata.incremental_watermarks` (exclusive) to the current one (inclusive),
                         so a streaming commit landing while the job runs is picked up next time,
                         never skipped (invariant 1). The first run, with no watermark, reads it all.
  full                   rebuild the table from the whole raw table at its current snapshot, in one
                         commit (INSERT OVERWRITE), and reset the watermark.
  range                  re-process the raw rows whose `_received_date` lies in [start, end] (a backfill
                         or a repair); MERGE makes it harmless; the watermark is left alone.

Rows are typed by the table's TRANSFORM SQL (sql/01_staging/stg_<table>.sql). Strategy `latest`
reduces the new rows to the latest version per id (provider updated_at, then Kafka offset) and
MERGEs them, a row replacing the stored one only if it is newer. Strategy `fold` (HubSpot, whose
webhooks carry one property per event) re-reads the whole raw history of every id with new rows and
folds it per property, so the result never depends on arrival order. Only after the MERGE has
committed does the watermark advance (invariant 2): a crash in between re-processes the same range.

Schema evolution: a column the SQL file declares but the table lacks is added with ALTER TABLE ADD
COLUMN (metadata only); a payload field that the TRANSFORM neither reads nor lists under IGNORED is
reported (log warning and `unexpected_fields` in the result), never a failure.

Bad input: a raw row the TRANSFORM cannot type (Spark's ANSI data exceptions: a malformed value, an
overflow, an index past an array's end) would fail the whole batch. The batch is then bisected by
Kafka partition and offset to the rows that fail on their own; each is listed in
`metadata.staging_rejects` with its error (before anything is written), left in raw, and the rest of
the batch is staged (`rejected_rows` in the result). Incremental runs skip listed rows; full and range
runs try them again and unlist those that now type. More than ICEFLOE_STAGING_MAX_REJECTS (100) in one
batch fails the run with a clear message instead: that is a schema change, not stray data.

Several tables are built side by side (ICEFLOE_BATCH_PARALLELISM, default 4), each in its own
Spark session of the one SparkContext; each commits its write on its own, and their watermarks follow
in one commit once all have finished.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from icefloe_spark import (
    CATALOG,
    LayerSql,
    Phases,
    appended_records,
    current_ancestors,
    current_snapshot,
    emit,
    ensure_watermarks,
    evolve_schema,
    pause_point,
    read_watermarks,
    rows_as_of_current_snapshot,
    side_by_side,
    table_columns,
    table_exists,
    write_watermarks,
)

log = logging.getLogger("icefloe.spark.staging")


@dataclass(frozen=True)
class Staging:
    """How one raw table is staged."""

    key: str                      # primary key of the staging table
    strategy: str = "latest"      # latest | fold
    fields_root: str = "$"        # JSON path whose keys are the payload's fields (schema drift report)


#: every raw table of sources.yaml -> how it is staged
TABLES: dict[str, Staging] = {
    "shopify_orders": Staging("order_id"),
    "shopify_customers": Staging("customer_id"),
    "shopify_products": Staging("product_id"),
    "stripe_customers": Staging("customer_id", fields_root="$.data.object"),
    "stripe_charges": Staging("charge_id", fields_root="$.data.object"),
    "stripe_payment_intents": Staging("payment_intent_id", fields_root="$.data.object"),
    "stripe_refunds": Staging("refund_id", fields_root="$.data.object"),
    "stripe_disputes": Staging("dispute_id", fields_root="$.data.object"),
    "stripe_subscriptions": Staging("subscription_id", fields_root="$.data.object"),
    "hubspot_contacts": Staging("contact_id", "fold", "$.properties"),
    "hubspot_companies": Staging("company_id", "fold", "$.properties"),
    "hubspot_deals": Staging("deal_id", "fold", "$.properties"),
    "hubspot_engagements": Staging("engagement_id", "fold", "$.properties"),
}

#: columns that differ between two builds of the same rows (when, not what)
AUDIT_COLUMNS = ("_staged_at", "_built_at")


def declared_columns(spark, sql: LayerSql) -> list[tuple[str, str]]:
    """The columns the DDL declares, as Spark types (parsed by Spark itself, not by a regex)."""
    body = sql.ddl[sql.ddl.index("(") + 1:]
    depth, end = 1, 0
    for i, ch in enumerate(body):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            end = i
            break
    columns = re.sub(r"COMMENT\s+'(?:[^']|'')*'", "", body[:end])
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(columns)
    return [(f.name, f.dataType.simpleString()) for f in schema.fields]


def known_fields(sql: LayerSql) -> set[str]:
    """Payload fields the TRANSFORM reads (JSON paths, fields of the payload parsed once into `p` or
    of Stripe's `data.object` as `o`, HubSpot property names) or IGNORED lists."""
    fields = set(re.findall(r"'\$\.(?:data\.object\.)?(\w+)", sql.transform))
    fields |= set(re.findall(r"\b[po]\.(\w+)", sql.transform))
    fields |= set(re.findall(r"property = '(\w+)'", sql.transform))
    return fields | set(sql.ignored)


def report_unexpected_fields(spark, table: str, spec: Staging, sql: LayerSql) -> list[str]:
    """Top-level payload fields in this batch that staging does not know: reported, never fatal."""
    # the top level's keys straight from the payload: get_json_object(payload, '$') would re-serialise it first
    node = "payload" if spec.fields_root == "$" else f"get_json_object(payload, '{spec.fields_root}')"
    rows = spark.sql(f"""
        SELECT DISTINCT field FROM (
          SELECT explode(json_object_keys({node})) AS field FROM raw_new
          {"UNION ALL SELECT get_json_object(payload, '$.propertyName') FROM raw_new" if spec.strategy == "fold" else ""}
        ) WHERE field IS NOT NULL
    """).collect()
    known = known_fields(sql)
    unexpected = sorted(r.field for r in rows if r.field not in known and not r.field.startswith("hs_"))
    if unexpected:
        log.warning("staging.stg_%s: payload fields staging does not know yet (kept in raw, not staged): %s. "
                    "Declare them in sql/01_staging/stg_%s.sql (a column, or the IGNORED list).",
                    table, ", ".join(unexpected), table)
    return unexpected


def _create_views(spark, table: str, spec: Staging, sql: LayerSql, mode: str, start: int | None, end: int,
                  start_date: str | None, end_date: str | None, skip_rejects: bool) -> str:
    """`raw_new`: the raw rows this run covers; `raw_batch`: what the TRANSFORM reads (without the rows
    listed in metadata.staging_rejects when `skip_rejects`). Returns the SQL that defines `raw_batch`."""
    # Spark 4.1 + Iceberg 1.11 cannot MERGE from a DataFrame-registered temp view
    # (apache/iceberg#16451); every view below is therefore defined in SQL.
    source = f"{CATALOG}.raw.{table}"
    if mode == "range":
        spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_new AS SELECT * FROM {source} VERSION AS OF {end} "
                  f"WHERE _received_date BETWEEN DATE'{start_date}' AND DATE'{end_date}'")
    elif start is not None:
        options = f"WITH ('start-snapshot-id' = '{start}', 'end-snapshot-id' = '{end}')"
        spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_new AS SELECT * FROM {source} {options}")
    else:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_new AS SELECT * FROM {source} VERSION AS OF {end}")
    if spec.strategy == "fold" and not (mode == "full" or start is None and mode != "range"):
        # the whole history of each id that has something new, as of the same snapshot; a CRM object
        # (`{id, properties}`, a backfill) has no objectId, so its object_id column is empty: use its id
        oid = "coalesce(object_id, get_json_object(payload, '$.id'))"
        batch = f"SELECT * FROM {source} VERSION AS OF {end} WHERE {oid} IN (SELECT DISTINCT {oid} FROM raw_new)"
    else:
        batch = "SELECT * FROM raw_new"
    if skip_rejects:
        batch = (f"SELECT * FROM ({batch}) r WHERE NOT EXISTS (SELECT 1 FROM {REJECTS} x WHERE x.table_name = "
                 f"'staging.stg_{table}' AND x._kafka_partition = r._kafka_partition AND x._kafka_offset = r._kafka_offset)")
    spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_batch AS {batch}")
    _typed_views(spark, spec, sql)
    return batch


#: the typed batch's latest row per id, cached: what the count and the write read
TYPED_LATEST = "typed_latest"


def _typed_views(spark, spec: Staging, sql: LayerSql) -> None:
    """`typed_batch`: the TRANSFORM over `raw_batch`; `typed_latest`: its latest row per id (rows
    without an id as one group), the view `_type_batch` caches; `latest_batch`: `typed_latest` without
    that group. The id filter sits above the cache on purpose: below it, Spark pushes `id IS NOT NULL`
    down to the raw scan, where the id is a field of the parsed payload, so every raw row (a HubSpot
    fold: the whole raw table, not just the batch) was parsed once more for the filter alone."""
    spark.sql(f"CREATE OR REPLACE TEMP VIEW typed_batch AS {sql.transform}")
    spark.sql(f"""
        CREATE OR REPLACE TEMP VIEW {TYPED_LATEST} AS
        SELECT * EXCEPT (_rn) FROM (
          SELECT *, ROW_NUMBER() OVER (
            PARTITION BY {spec.key} ORDER BY updated_at DESC NULLS LAST, _kafka_partition DESC, _kafka_offset DESC) AS _rn
          FROM typed_batch
        ) WHERE _rn = 1
    """)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW latest_batch AS SELECT * FROM {TYPED_LATEST} WHERE {spec.key} IS NOT NULL")


def run(spark, table: str, mode: str = "incremental", start_date: str | None = None,
        end_date: str | None = None) -> dict:
    spec = TABLES[table]
    source, target = f"raw.{table}", f"staging.stg_{table}"
    sql = LayerSql.load("01_staging", f"stg_{table}")
    spark.sql(sql.ddl)
    ensure_watermarks(spark)
    declared = declared_columns(spark, sql)
    added = evolve_schema(spark, target, declared)
    result = {"table": target, "mode": mode, "rows_read": 0, "rows_merged": 0, "snapshot": None,
              "added_columns": added, "unexpected_fields": []}
    if not table_exists(spark, source):
        # Nothing has arrived for this source yet: the (empty) staging table exists for the layers below.
        log.warning("%s does not exist yet (no webhook of this kind has been ingested; the Flink raw job "
                    "creates it: `icefloe flink run --sources %s`); %s stays empty", source, table, target)
        return result
    end = current_snapshot(spark, source)
    start = None if mode in ("full", "range") else read_watermarks(spark, target).get(source)
    result["snapshot"] = end
    if start is not None and start not in current_ancestors(spark, source):
        # expired, or the table was rolled back / replaced: re-read it all; MERGE keeps only newer versions
        log.warning("%s: the watermark's snapshot %s is no longer in %s's history: reading the whole raw "
                    "table this time (the MERGE keeps only newer versions, so nothing is doubled)",
                    target, start, source)
        result["watermark_lost"] = start
        start = None
    if end is None or (mode == "incremental" and start == end):
        log.info("%s: nothing new in %s (snapshot %s)", target, source, end)
        return result

    log.info("%s: reading %s snapshots (%s, %s]", target, source, start, end)
    phases = Phases()
    result["phases"] = phases.seconds
    pause_point("planned")
    known_rejects = _has_rejects(spark, target)
    batch = _create_views(spark, table, spec, sql, mode, start, end, start_date, end_date,
                          skip_rejects=known_rejects and mode == "incremental")
    # raw is append-only: the snapshots' summaries count the range (a Spark job only when they cannot)
    counted = appended_records(spark, source, start, end) if mode != "range" else None
    result["rows_read"] = counted if counted is not None else spark.sql("SELECT count(*) AS n FROM raw_new").first().n
    phases.mark("read")
    result["unexpected_fields"] = report_unexpected_fields(spark, table, spec, sql)
    phases.mark("fields")
    # typing (JSON parsing) is the costly part: computed once, then counted and written from memory
    rejects = _type_batch(spark, target, source, spec, sql, batch)
    if rejects:
        result["rejected_rows"] = len(rejects)
        result["rejects"] = [f"{p}/{o}: {e}" for (p, o), e in sorted(rejects.items())[:5]]
    result["rows_merged"] = spark.sql("SELECT count(*) AS n FROM latest_batch").first().n
    phases.mark("transform")
    columns = [name for name, _ in table_columns(spark, target)]
    col_list = ", ".join(columns)
    if mode == "full" or (start is None and mode == "incremental" and _is_empty(spark, target)):
        # One commit replaces the whole table: readers never see it empty.
        spark.sql(f"INSERT OVERWRITE {target} ({col_list}) SELECT {col_list} FROM latest_batch")
    else:
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        values = ", ".join(f"s.{c}" for c in columns)
        if spec.strategy == "fold":
            newer = "true"  # recomputed from the id's whole history: always the right row
        else:
            newer = ("(s.updated_at > t.updated_at OR (s.updated_at IS NOT NULL AND t.updated_at IS NULL)"
                     " OR (s.updated_at <=> t.updated_at AND (s._kafka_partition > t._kafka_partition"
                     " OR (s._kafka_partition = t._kafka_partition AND s._kafka_offset > t._kafka_offset))))")
        spark.sql(f"""
            MERGE INTO {target} t
            USING latest_batch s
            ON t.{spec.key} = s.{spec.key}
            WHEN MATCHED AND {newer} THEN UPDATE SET {assignments}
            WHEN NOT MATCHED THEN INSERT ({col_list}) VALUES ({values})
        """)
    phases.mark("write")
    spark.sql(f"UNCACHE TABLE IF EXISTS {TYPED_LATEST}")
    if known_rejects and mode != "incremental":
        _forget_rejects_that_typed(spark, target, batch, rejects)
    log.info("%s: write committed", target)
    pause_point("between_commits")
    if mode != "range":
        # Only now, with the write committed, may the watermark move (invariant 2).
        write_watermarks(spark, target, {source: end}, result["rows_read"])
        phases.mark("watermark")
    log.info("%s: %d raw rows -> %d ids (%s); watermark %s", target, result["rows_read"], result["rows_merged"],
             mode, end if mode != "range" else "unchanged")
    return result


# --- raw rows that do not type: listed in metadata.staging_rejects, never blocking the batch --------

REJECTS = "metadata.staging_rejects"
#: tables staged side by side that both find rejects take turns on the one table
_REJECTS_LOCK = threading.Lock()


def _has_rejects(spark, target: str) -> bool:
    """Whether rows of `target` are listed as rejects (no query at all until the first reject ever;
    then one per snapshot of the list, whichever table asks: the tables of a run ask at once)."""
    if not table_exists(spark, REJECTS):
        return False
    return any(r.table_name == target for r in rows_as_of_current_snapshot(spark, REJECTS, "DISTINCT table_name"))


class StagingDataError(RuntimeError):
    """The batch fails to type and the failure cannot be pinned on a few raw rows."""


def _data_error(exc: Exception) -> str | None:
    """Spark's message when `exc` is a data exception (SQLSTATE class 22: a malformed value, an
    overflow, an array index out of bounds), else None."""
    state = getattr(exc, "getSqlState", lambda: None)()
    text = str(exc).strip()
    if (state or "").startswith("22") or "SQLSTATE: 22" in text:
        return text.splitlines()[0][:1000] if text else type(exc).__name__
    return None


def _data_error_of(spark, query: str) -> str | None:
    """Run `query`: None if it succeeds, Spark's message if it fails on a data exception; any other
    failure is raised."""
    try:
        spark.sql(query).collect()
        return None
    except Exception as exc:  # noqa: BLE001 - only data exceptions are answered, the rest re-raised
        error = _data_error(exc)
        if error is None:
            raise
        return error


def _probe(spark, sql: LayerSql, where: str) -> str | None:
    """None if the TRANSFORM types every row of `raw_batch_all` matching `where`, else the error."""
    spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_probe AS SELECT * FROM raw_batch_all WHERE {where}")
    transform = re.sub(r"\braw_batch\b", "raw_probe", sql.transform)
    # max(hash(*)) makes Spark compute every column (a count, even of hash(*), prunes them all)
    return _data_error_of(spark, f"SELECT max(hash(*)) AS h FROM ({transform})")


def _find_rejects(spark, target: str, sql: LayerSql, first_error: str, max_rows: int) -> dict[tuple[int, int], str]:
    """The raw rows of `raw_batch_all` that fail to type on their own: (partition, offset) -> error.
    Bisects each Kafka partition's offset range (about 2 log2(n) probes a bad row)."""
    spans = [(r.p, r.lo, r.hi) for r in spark.sql(
        "SELECT _kafka_partition AS p, min(_kafka_offset) AS lo, max(_kafka_offset) AS hi FROM raw_batch_all "
        "GROUP BY _kafka_partition").collect()]
    bad: dict[tuple[int, int], str] = {}
    probes = 0
    while spans:
        p, lo, hi = spans.pop()
        error = _probe(spark, sql, f"_kafka_partition = {p} AND _kafka_offset BETWEEN {lo} AND {hi}")
        probes += 1
        if error is None:
            continue
        if lo < hi:
            mid = (lo + hi) // 2
            spans += [(p, mid + 1, hi), (p, lo, mid)]
            continue
        bad[(p, lo)] = error
        if len(bad) > max_rows:
            raise StagingDataError(
                f"{target}: more than {max_rows} raw rows fail to type (first: {first_error}). That is a change "
                f"in what the provider sends or a wrong TRANSFORM, not stray bad data: nothing was written and "
                f"the watermark stays. Fix sql/01_staging/{target.split('.')[1]}.sql (or raise "
                f"ICEFLOE_STAGING_MAX_REJECTS) and run again.")
    log.info("%s: %d probe(s) to find %d raw row(s) that fail to type", target, probes, len(bad))
    if not bad:
        raise StagingDataError(
            f"{target}: the batch fails to type ({first_error}), but no raw row fails on its own: the "
            f"TRANSFORM combines rows wrongly. Nothing was written and the watermark stays.")
    return bad


def _b64(text: str) -> str:
    return f"CAST(unbase64('{base64.b64encode(text.encode()).decode()}') AS STRING)"


def _type_batch(spark, target: str, source: str, spec: Staging, sql: LayerSql, batch: str) \
        -> dict[tuple[int, int], str]:
    """CACHE `typed_latest` (so `latest_batch`). If a raw row does not type, find every such row, list it in
    metadata.staging_rejects (before anything is written: a crash later cannot lose the list), and
    type the batch without them. Returns the rejects found."""
    first_error = _data_error_of(spark, f"CACHE TABLE {TYPED_LATEST}")
    if first_error is None:
        return {}
    spark.sql(f"UNCACHE TABLE IF EXISTS {TYPED_LATEST}")
    log.warning("%s: the batch does not type (%s); finding the raw rows that fail", target, first_error)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW raw_batch_all AS {batch}")
    bad = _find_rejects(spark, target, sql, first_error, int(os.environ.get("ICEFLOE_STAGING_MAX_REJECTS", "100")))
    rows = ", ".join(f"({p}, CAST({o} AS BIGINT), {_b64(e)})" for (p, o), e in bad.items())
    spark.sql(f"CREATE OR REPLACE TEMP VIEW rejects_new AS SELECT * FROM VALUES {rows} AS v(p, o, error)")
    with _REJECTS_LOCK:
        spark.sql(LayerSql.load("metadata", "staging_rejects").ddl)
        spark.sql(f"""
        MERGE INTO {REJECTS} t
        USING (SELECT '{target}' AS table_name, '{source}' AS raw_table, r._kafka_partition, r._kafka_offset,
                      r._webhook_id, r.object_id, v.error, current_timestamp() AS rejected_at
               FROM raw_batch_all r JOIN rejects_new v ON v.p = r._kafka_partition AND v.o = r._kafka_offset) s
        ON t.table_name = s.table_name AND t._kafka_partition = s._kafka_partition AND t._kafka_offset = s._kafka_offset
        WHEN MATCHED THEN UPDATE SET error = s.error, rejected_at = s.rejected_at
        WHEN NOT MATCHED THEN INSERT *""")
    (p, o), error = sorted(bad.items())[0]
    log.error("%s: %d raw row(s) of %s do not type and are left out of this run (first: partition %s offset "
              "%s: %s). They stay in raw, listed in %s; fix the data or sql/01_staging/%s.sql, then "
              "`--mode full` stages them.", target, len(bad), source, p, o, error, REJECTS, target.split(".")[1])
    spark.sql("CREATE OR REPLACE TEMP VIEW raw_batch AS SELECT r.* FROM raw_batch_all r LEFT ANTI JOIN rejects_new v "
              "ON v.p = r._kafka_partition AND v.o = r._kafka_offset")
    _typed_views(spark, spec, sql)
    spark.sql(f"CACHE TABLE {TYPED_LATEST}")
    return bad


def _forget_rejects_that_typed(spark, target: str, batch: str, rejects: dict[tuple[int, int], str]) -> None:
    """After a full or range run has written: the rows of its batch listed as rejects that typed this
    time are no longer rejects."""
    still = " AND NOT (" + " OR ".join(f"(r._kafka_partition = {p} AND r._kafka_offset = {o})"
                                         for p, o in rejects) + ")" if rejects else ""
    with _REJECTS_LOCK:
        spark.sql(f"""
        MERGE INTO {REJECTS} t
        USING (SELECT r._kafka_partition, r._kafka_offset FROM ({batch}) r WHERE true{still}) s
        ON t.table_name = '{target}' AND t._kafka_partition = s._kafka_partition AND t._kafka_offset = s._kafka_offset
        WHEN MATCHED THEN DELETE""")


def run_all(spark, tables: list[str], mode: str = "incremental", start_date: str | None = None,
            end_date: str | None = None, on_result: Callable[[dict], None] = lambda result: None) -> list[dict]:
    """Build `tables`, several side by side (icefloe_spark.side_by_side)."""
    return side_by_side(spark, tables, lambda session, table: run(session, table, mode, start_date, end_date),
                        on_result)


def _is_empty(spark, table: str) -> bool:
    return current_snapshot(spark, table) is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--table", action="append", choices=sorted(TABLES), help="<source>_<object> (repeatable)")
    which.add_argument("--all", action="store_true", help="every table of sources.yaml")
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full", "range"])
    parser.add_argument("--start-date", help="range mode: first _received_date (YYYY-MM-DD)")
    parser.add_argument("--end-date", help="range mode: last _received_date (YYYY-MM-DD, inclusive)")
    args = parser.parse_args(argv)
    if args.mode == "range" and not (args.start_date and args.end_date):
        parser.error("--mode range needs --start-date and --end-date (YYYY-MM-DD)")
    for d in (args.start_date, args.end_date):
        if d and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
            parser.error(f"dates are YYYY-MM-DD, got {d!r}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    from icefloe_spark import spark_session

    tables = sorted(TABLES) if args.all else args.table
    spark = spark_session(f"icefloe-staging-{'all' if args.all else '-'.join(tables)}")

    def report(result: dict) -> None:
        log.info("done: %s", result)
        emit("ICEFLOE_RESULT", result)

    run_all(spark, tables, args.mode, args.start_date, args.end_date, on_result=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
