"""Entity resolution on Spark: staging person records -> semantic.entity_index (+ blocking index,
links, aliases, per-run stats).

    entity_resolution.py [--mode incremental|full] [--sources conf/er_sources.yaml]
    entity_resolution.py --input-file records.csv --map id=...,email=... --output-file out.csv   (no catalog)

The method is `er_core.py` beside this file plus `sql/02_semantic/er_method.sql`: the same code
`icefloe resolve` runs on DuckDB. This file only adapts Spark to `er_core.Engine` and moves data
between the staging tables, the semantic tables and the method's temporary views.

Incremental (default): only the records of ids whose rows were staged since the snapshots the last
run read (`metadata.incremental_watermarks`, job `semantic.entity_index#<hash of the sources file and
er_core.py>`: a changed mapping or method reads everything once) are read; they are hashed as they
are (`metadata.er_input_hashes` holds the hash of each record in the index); only those whose input
is new or different are normalised (none: the method is not run), and those whose normalised keys changed are blocked
against `semantic.blocking_index`; only the links and clusters they can affect are recomputed
(er_core.run). Entity ids stay stable; merged ids go to `semantic.entity_aliases`. `--mode full`
recomputes everything from the sources (new ids).

Where it runs: the method's steps are each a pass over the index, so on Spark each costs a job (1-5 s
at 450,000 records) even when a handful of records changed. An incremental run that normalised at
most ICEFLOE_ER_DRIVER_MAX_RECORDS records (default 50,000; 0: never) therefore runs the method on
the driver instead: the state is read once into DuckDB (Arrow), the same `er_core.run` executes
there in milliseconds per step, and only what changed goes back: per state table, the keys whose
rows differ and their new rows, written by Spark as the table less those keys plus those rows. The
first run, a large change, or a driver without `duckdb`/`pyarrow` runs on Spark.

The file mode runs the same method on a CSV/Parquet file with Spark in local mode: a second engine
for the same input, so the tests can check both engines give the same entities.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import er_core

log = logging.getLogger("icefloe.spark.entity_resolution")
HERE = Path(__file__).resolve().parent
SOURCES_FILE = HERE / "conf" / "er_sources.yaml"
TABLES = ("entity_index", "blocking_index", "entity_links", "entity_aliases", "entity_resolution_stats")
DRIVER_MAX_ENV = "ICEFLOE_ER_DRIVER_MAX_RECORDS"
DEFAULT_DRIVER_MAX = 50_000
#: what `er_core.run` reads and writes, as temporary views in Spark and tables in DuckDB
METHOD_INPUTS = ("er_input", "er_state_records", "er_state_blocking", "er_state_links", "er_state_aliases")
_INDEX_COLS = ", ".join(er_core.NORMALISED + er_core.STATE_EXTRA + ("first_seen_at", "updated_at"))
_LINK_COLS = "rid_l, rid_r, blocked_on, match_weight, match_probability, explanation"
_ALIAS_COLS = "alias_id, entity_id, merged_at"
#: what each state table is written from, in the order written (the index last: a crash before it
#: leaves the same records "changed", and the next run recomputes them against state that already
#: contains their keys, which is harmless)
STATE_WRITES = {
    "semantic.entity_links": f"SELECT {_LINK_COLS} FROM er_links",
    "semantic.blocking_index": "SELECT b.blocking_key, b.blocking_type, r.source, r.source_id, b.rid "
                               "FROM er_blocking b JOIN er_records r ON r.rid = b.rid",
    "semantic.entity_aliases": f"SELECT {_ALIAS_COLS} FROM er_aliases",
    "semantic.entity_index": "SELECT * FROM er_records",
}


#: the state tables' and the input hashes' write modes (their DDL): an incremental run's MERGE then
#: writes the changed rows and delete files, not every data file that holds one of them
MERGE_ON_READ = {f"write.{op}.mode": "merge-on-read" for op in ("merge", "update", "delete")}


@dataclass(frozen=True)
class HandBack:
    """How a driver run hands a state table back: only the rows of the keys whose rows changed."""

    key: str  # the columns whose rows are replaced together
    output: str  # the method's new state (DuckDB), compared with `state` on `compare`
    state: str
    compare: str
    columns: str = ""  # the table's columns, in order (default: `compare`)
    rows: str = ""  # DuckDB: the new rows of the changed keys (`_keys`) as `columns` (default: from `output`)

    @property
    def table_columns(self) -> str:
        return self.columns or self.compare

    def rows_sql(self) -> str:
        if self.rows:
            return self.rows
        match = " AND ".join(f"k.{c} = o.{c}" for c in self.key.split(", "))
        cols = ", ".join(f"o.{c}" for c in self.table_columns.split(", "))
        return f"SELECT {cols} FROM {self.output} o JOIN _keys k ON {match}"


HAND_BACK = {
    "semantic.entity_links": HandBack("rid_l, rid_r", "er_links", "er_state_links", _LINK_COLS),
    "semantic.blocking_index": HandBack(
        "rid", "er_blocking", "er_state_blocking", "rid, blocking_type, blocking_key",
        "blocking_key, blocking_type, source, source_id, rid",
        "SELECT b.blocking_key, b.blocking_type, r.source, r.source_id, b.rid FROM er_blocking b "
        "JOIN _keys k ON k.rid = b.rid JOIN er_records r ON r.rid = b.rid"),
    "semantic.entity_aliases": HandBack("alias_id", "er_aliases", "er_state_aliases", _ALIAS_COLS),
    "semantic.entity_index": HandBack("rid", "er_records", "er_state_records", _INDEX_COLS),
}


class SparkEngine:
    """`er_core.Engine` on a SparkSession: every step is checkpointed into a temporary view, so the
    iterative clustering does not grow an ever longer plan."""

    def __init__(self, spark) -> None:
        self.spark = spark
        # executors import er_core by name when they normalise
        spark.sparkContext.addPyFile(er_core.__file__)  # beside this file locally, from pyFiles on EMR

    def materialise(self, name: str, sql: str) -> None:
        started = time.monotonic()
        self.spark.sql(sql).localCheckpoint(eager=True).createOrReplaceTempView(name)
        log.info("%s materialised in %.2fs", name, time.monotonic() - started)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self.spark.sql(sql).collect()]

    def load_rows(self, name: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
        schema = ", ".join(f"{c} {t}" for c, t in columns.items())
        data = [tuple(r.get(c) for c in columns) for r in rows]
        self.spark.createDataFrame(data, schema).localCheckpoint(eager=True).createOrReplaceTempView(name)

    def normalise(self, source: str, name: str, fn) -> None:
        schema = ", ".join(f"{c} string" for c in er_core.NORMALISED)
        cols = er_core.NORMALISED

        def part(rows):
            for r in rows:
                out = fn(r.asDict())
                if out is not None:
                    yield tuple(out[c] for c in cols)

        rdd = self.spark.table(source).rdd.mapPartitions(part)
        self.spark.createDataFrame(rdd, schema).localCheckpoint(eager=True).createOrReplaceTempView(name)


def _normaliser(phone_region: str):
    # a plain function of the record: picklable for the executors
    def fn(raw: dict[str, Any]):
        import er_core as core

        return core.normalise_record(raw, phone_region=phone_region)

    return fn


def _dedupe_input(engine: SparkEngine) -> None:
    engine.materialise("er_input", f"""SELECT {er_core.RECORD_COLS} FROM (
        SELECT *, row_number() OVER (PARTITION BY rid ORDER BY rid) AS _n FROM er_norm) t WHERE _n = 1""")


def driver_max_records(env=None) -> int:
    """ICEFLOE_ER_DRIVER_MAX_RECORDS: the largest normalised batch an incremental run resolves on the driver."""
    from icefloe_spark import env_count

    return env_count(DRIVER_MAX_ENV, DEFAULT_DRIVER_MAX, "records", "always runs the method on Spark", env)


def driver_engine(normalised: int, env=None) -> er_core.DuckDBEngine | None:
    """A DuckDB engine on the driver for an incremental batch of `normalised` records, or None (Spark)."""
    limit = driver_max_records(env)
    if normalised > limit:
        log.info("entity resolution: %d records to resolve > %s=%d: the method runs on Spark",
                 normalised, DRIVER_MAX_ENV, limit)
        return None
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        log.warning("entity resolution: no %s on the driver: the method runs on Spark", exc.name)
        return None
    duck = er_core.DuckDBEngine()
    duck.con.execute("SET TimeZone = 'UTC'")  # timestamps cross engines as UTC instants
    return duck


def _hand_back_merge(table: str, h: HandBack, view: str, types: dict[str, str]) -> str:
    """One MERGE (one commit) that replaces the rows of the keys in `<view>_keys` by `<view>_rows`:
    each key's row in the source deletes every target row of that key (a key holds several rows in
    the blocking index, so the new rows cannot simply update them), the new rows never match and
    are inserted."""
    keys = h.key.split(", ")
    cols = h.table_columns.split(", ")
    gone = ", ".join(c if c in keys else f"CAST(NULL AS {types[c]}) AS {c}" for c in cols)
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    return f"""MERGE INTO {table} t
        USING (SELECT {gone}, true AS __gone FROM {view}_keys
               UNION ALL SELECT {", ".join(cols)}, false AS __gone FROM {view}_rows) s
        ON s.__gone AND {match}
        WHEN MATCHED THEN DELETE
        WHEN NOT MATCHED AND NOT s.__gone THEN INSERT ({", ".join(cols)}) VALUES ({", ".join("s." + c for c in cols)})"""


def resolve_on_driver(spark, duck: er_core.DuckDBEngine, params: er_core.Params, run_id: str,
                      now: str) -> tuple[er_core.RunResult, dict[str, str]]:
    """`er_core.run` on DuckDB in this process, its inputs read once from Spark (Arrow). Returns the
    result and each state table's write: a MERGE that deletes the rows of the keys whose rows
    changed and inserts their new rows (handed back over Arrow: a few hundred rows for a small
    change, not the whole state; merge-on-read, so the rest of the table is not rewritten); a table
    with no changed row is left out (not written). `er_records` (the index as written: the table
    less the changed keys, plus their new rows) reads the same rows before and after the index's
    MERGE, so the order of the writes is safe."""
    t0 = time.monotonic()
    for name in METHOD_INPUTS:
        duck.load_arrow(name, spark.table(name).toArrow())
    sizes = {n: duck.rows(f"SELECT count(*) AS n FROM {n}")[0]["n"] for n in METHOD_INPUTS}
    loaded = time.monotonic() - t0
    log.info("entity resolution on the driver (DuckDB): state read in %.2fs: %s", loaded, sizes)
    result = er_core.run(duck, params, run_id=run_id, now=now, first_run=False)
    t1 = time.monotonic()
    writes, changed = {}, {}
    for table, h in HAND_BACK.items():
        duck.materialise("_keys", f"""SELECT DISTINCT {h.key} FROM (
            (SELECT {h.compare} FROM {h.output} EXCEPT ALL SELECT {h.compare} FROM {h.state})
            UNION ALL (SELECT {h.compare} FROM {h.state} EXCEPT ALL SELECT {h.compare} FROM {h.output})) d""")
        keys = duck.arrow("SELECT * FROM _keys")
        changed[table] = keys.num_rows
        if keys.num_rows == 0:  # the table stands as it is: not written
            continue
        view = "er_back_" + table.split(".")[1]
        spark.createDataFrame(keys).createOrReplaceTempView(f"{view}_keys")
        rows = spark.createDataFrame(duck.arrow(h.rows_sql()))
        rows.createOrReplaceTempView(f"{view}_rows")
        writes[table] = _hand_back_merge(table, h, view, {f.name: f.dataType.simpleString() for f in rows.schema})
        if table == "semantic.entity_index":
            match = " AND ".join(f"t.{k} = k.{k}" for k in h.key.split(", "))
            spark.sql(f"""CREATE OR REPLACE TEMP VIEW er_records AS
                SELECT t.* FROM (SELECT {_INDEX_COLS} FROM {table}) t LEFT ANTI JOIN {view}_keys k ON {match}
                UNION ALL SELECT {_INDEX_COLS} FROM {view}_rows""")
    if "semantic.entity_index" not in writes:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW er_records AS SELECT {_INDEX_COLS} FROM semantic.entity_index")
    log.info("entity resolution on the driver: keys whose rows changed, per table (0: not written): %s", changed)
    result.phases = {"driver_read_state": round(loaded, 3), **result.phases,
                     "driver_hand_back": round(time.monotonic() - t1, 3)}
    return result, writes


# =============================================================================
# Catalog mode
# =============================================================================


def load_sources(path: Path) -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load(path.read_text())
    for s in doc.get("sources", []):
        unknown = set(s.get("columns", {})) - set(er_core.INPUT_FIELDS)
        if unknown:
            raise SystemExit(f"{path}: source {s.get('source')}: unknown fields {sorted(unknown)}; "
                             f"fields are {', '.join(er_core.INPUT_FIELDS)}")
        if "id" not in s.get("columns", {}):
            raise SystemExit(f"{path}: source {s.get('source')}: columns needs id: <column>")
    return doc


def _column(expr: str | list[str]) -> str:
    """A mapped column, or a list of columns: the first that is not null."""
    cols = [expr] if isinstance(expr, str) else list(expr)
    casts = [f"CAST(`{c}` AS STRING)" for c in cols]
    return casts[0] if len(casts) == 1 else f"coalesce({', '.join(casts)})"


def _id_column(cols: dict[str, Any]) -> str:
    return cols["id"] if isinstance(cols["id"], str) else cols["id"][0]


def watermark_job(doc: dict[str, Any]) -> str:
    """The watermark job name: a changed mapping or normalising code starts a new one (read all)."""
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode() + Path(er_core.__file__).read_bytes())
    return f"semantic.entity_index#{digest.hexdigest()[:12]}"


def fresh_ids(spark, doc: dict[str, Any], job: str) -> dict[str, int] | None:
    """Temporary view `er_fresh` (source, id): the ids with a row staged (`_staged_at`) in any of
    their source's tables since the snapshot the last run read. Returns the snapshots to read now,
    or None when a table has no usable starting point (first run under this job name, a snapshot
    expired or rolled back, no `_staged_at`): then everything is read, as a full run does.
    An id whose rows did not change since has the same input, so the hash check would skip it."""
    from icefloe_spark import CATALOG, current_ancestors, current_snapshot, latest_audit_micros, read_watermarks

    marks, snaps, parts = read_watermarks(spark, job), {}, []
    for s in doc["sources"]:
        table = s["table"]
        if not spark.catalog.tableExists(f"{CATALOG}.{table}"):
            continue
        snap, prev = current_snapshot(spark, table), marks.get(table)
        if snap is None:
            continue
        if (prev is None or prev not in current_ancestors(spark, table)
                or "_staged_at" not in {f.name for f in spark.table(f"{CATALOG}.{table}").schema.fields}):
            log.info("entity resolution: no starting point in %s for %s: reading every record", table, job)
            return None
        snaps[table] = snap
        if prev == snap:
            continue
        since = latest_audit_micros(spark, table, prev, "_staged_at")
        newer = f"WHERE _staged_at > timestamp_micros({since})" if since is not None else ""
        parts.append(f"SELECT '{s['source']}' AS source, CAST(`{_id_column(s['columns'])}` AS STRING) AS id "
                     f"FROM {CATALOG}.{table} VERSION AS OF {snap} {newer}")
    union = " UNION ".join(parts) or "SELECT CAST(NULL AS STRING) AS source, CAST(NULL AS STRING) AS id WHERE 1 = 0"
    spark.sql(f"SELECT DISTINCT source, id FROM ({union}) f WHERE id IS NOT NULL") \
        .localCheckpoint(eager=True).createOrReplaceTempView("er_fresh")
    return snaps


def current_snapshots(spark, doc: dict[str, Any]) -> dict[str, int]:
    """The current snapshot of every source table that has one."""
    from icefloe_spark import CATALOG, current_snapshot

    tables = {s["table"] for s in doc["sources"] if spark.catalog.tableExists(f"{CATALOG}.{s['table']}")}
    return {t: snap for t in sorted(tables) if (snap := current_snapshot(spark, t)) is not None}


def source_view(spark, doc: dict[str, Any], snapshots: dict[str, int] | None = None, fresh: bool = False) -> int:
    """Temporary view `er_raw` (INPUT_FIELDS as strings) over every configured table that exists.

    Several entries may feed one source (Shopify customers, and the customers of orders whose
    customers/create has not arrived): one record per (source, id), the earliest entry first, then
    the latest row by `order_by`. Every table is read at its snapshot in `snapshots` (one without is
    empty); with `fresh`, only the ids of `er_fresh` (fresh_ids)."""
    from icefloe_spark import CATALOG

    parts = []
    for rank, s in enumerate(doc["sources"]):
        table = s["table"]
        if not spark.catalog.tableExists(f"{CATALOG}.{table}"):
            log.warning("entity resolution: %s does not exist (yet): source %s skipped", table, s["source"])
            continue
        present = {f.name for f in spark.table(f"{CATALOG}.{table}").schema.fields}
        cols = s["columns"]
        named = [c for v in cols.values() for c in ([v] if isinstance(v, str) else v)]
        missing = [c for c in named + ([s["order_by"]] if s.get("order_by") else []) if c not in present]
        if missing:
            raise SystemExit(f"er_sources.yaml: {table} has no column(s) {missing}; it has {sorted(present)}")
        select = ", ".join(
            (f"{_column(cols[f])} AS {f}" if f in cols else f"CAST(NULL AS STRING) AS {f}")
            for f in er_core.INPUT_FIELDS if f != "source")
        order = f"CAST(`{s['order_by']}` AS STRING)" if s.get("order_by") else "CAST(NULL AS STRING)"
        where = f" AND ({s['where']})" if s.get("where") else ""
        at = ""
        if snapshots is not None:
            if table in snapshots:
                at = f"VERSION AS OF {snapshots[table]}"
            else:  # no snapshot yet: empty
                where += " AND false"
        if fresh:
            where += (f" AND CAST(`{_id_column(cols)}` AS STRING) IN "
                      f"(SELECT id FROM er_fresh WHERE source = '{s['source']}')")
        parts.append(f"""
            SELECT '{s['source']}' AS source, {select}, {rank} AS _rank, {order} AS _version
            FROM {CATALOG}.{table} {at} WHERE `{_id_column(cols)}` IS NOT NULL{where}""")
    if not parts:
        return 0
    fields = ", ".join(er_core.INPUT_FIELDS)
    spark.sql(f"""CREATE OR REPLACE TEMP VIEW er_raw AS SELECT {fields} FROM (
        SELECT *, row_number() OVER (PARTITION BY source, id ORDER BY _rank, _version DESC NULLS LAST) AS _n
        FROM ({' UNION ALL '.join(parts)}) u) t WHERE _n = 1""")
    return len(parts)


def ensure_tables(spark) -> None:
    from icefloe_spark import LayerSql, table_property

    spark.sql("CREATE NAMESPACE IF NOT EXISTS semantic")
    for t in TABLES:
        spark.sql(LayerSql.load("02_semantic", t).ddl)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS metadata")
    spark.sql(LayerSql.load("metadata", "er_input_hashes").ddl)
    for table in (*HAND_BACK, "metadata.er_input_hashes"):  # created before their DDL said merge-on-read
        if any(table_property(spark, table, k) != v for k, v in MERGE_ON_READ.items()):
            spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ({', '.join(f'{k!r} = {v!r}' for k, v in MERGE_ON_READ.items())})")
            log.info("%s: merge-on-read writes from now on (a MERGE writes only the changed rows)", table)


def input_hashes(engine: SparkEngine, sources: list[str], phone_region: str) -> None:
    """`er_raw_keyed`: `er_raw` with each record's key (`<source>|<id>` with the source folded by
    `er_core.fold`: the rid normalisation gives a plain id) and a hash of its input fields, the phone
    region and the normalising code (er_core.py). A record whose hash is unchanged normalises to what
    the index holds, so it is not normalised again; a key that is not the record's rid only costs a
    normalisation on every run."""
    code = hashlib.sha256(Path(er_core.__file__).read_bytes()).hexdigest()
    folded = " ".join(f"WHEN {er_core._lit(s)} THEN {er_core._lit(er_core.fold(s) or '')}"
                      for s in sorted(set(sources)))
    fields = ", ".join(f"coalesce({f}, chr(0))" for f in er_core.INPUT_FIELDS)
    engine.materialise("er_raw_keyed", f"""
        SELECT *, concat(CASE source {folded} END, '|', trim(id)) AS _key,
               sha2(concat_ws(chr(31), '{code}', '{phone_region}', {fields}), 256) AS _input_hash
        FROM er_raw""")


def changed_input(spark) -> None:
    """`er_todo`: the records to normalise — new, changed since their hash was stored, or not in the index."""
    fields = ", ".join(f"r.{f}" for f in er_core.INPUT_FIELDS)
    spark.sql(f"""CREATE OR REPLACE TEMP VIEW er_todo AS SELECT {fields} FROM er_raw_keyed r
        LEFT JOIN metadata.er_input_hashes h ON h.rid = r._key AND h.input_hash = r._input_hash
        LEFT JOIN (SELECT rid FROM semantic.entity_index) e ON e.rid = r._key
        WHERE h.rid IS NULL OR e.rid IS NULL""")


def unchanged_result(spark) -> er_core.RunResult:
    """No input is new or changed: the state stands as it is; its figures, without running the method."""
    t0 = time.monotonic()
    index = spark.sql("""SELECT coalesce(sum(n), 0) AS records, count(*) AS entities, coalesce(max(n), 0) AS largest
                         FROM (SELECT entity_id, count(*) AS n FROM semantic.entity_index GROUP BY entity_id) t""").first()
    links = spark.sql("SELECT count(*) AS n FROM semantic.entity_links").first()["n"]
    log.info("entity resolution: no new or changed input; %d records in %d entities unchanged",
             index["records"], index["entities"])
    return er_core.RunResult(records=index["records"], changed=0, candidate_pairs=0, links_scored_above=0,
                             links_total=links, clusters_recomputed=0, entities=index["entities"],
                             largest_entity=index["largest"], split_clusters=0, merges=0,
                             seconds=round(time.monotonic() - t0, 3), phases={})


def run_catalog(mode: str, sources: Path) -> dict[str, Any]:
    from icefloe_spark import ensure_watermarks, forget_watermarks, spark_session, write_watermarks

    doc = load_sources(sources)
    driver_max_records()  # a bad setting fails before any work
    spark = spark_session("icefloe-entity-resolution")
    started = tick = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        nonlocal tick
        phases[name] = round(time.monotonic() - tick, 2)
        tick = time.monotonic()

    ensure_tables(spark)
    ensure_watermarks(spark)
    engine = SparkEngine(spark)
    job = watermark_job(doc)
    first = mode == "full" or spark.sql("SELECT 1 FROM semantic.entity_index LIMIT 1").count() == 0
    snapshots = None if first else fresh_ids(spark, doc, job)
    fresh = snapshots is not None
    if not fresh:
        snapshots = current_snapshots(spark, doc)
    if source_view(spark, doc, snapshots, fresh) == 0:
        log.warning("entity resolution: none of the sources in %s exists; nothing to do", sources)
        return {"records": 0}
    region = doc.get("phone_region", "US")
    input_hashes(engine, [src["source"] for src in doc["sources"]], region)
    if not first:
        changed_input(spark)
    engine.normalise("er_raw_keyed" if first else "er_todo", "er_norm", _normaliser(region))
    _dedupe_input(engine)
    normalised = engine.rows("SELECT count(*) AS n FROM er_input")[0]["n"]
    log.info("entity resolution: %d records normalised (new or changed input)", normalised)
    phase("read_and_normalise")
    if not first:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW er_state_records AS SELECT {_INDEX_COLS} FROM semantic.entity_index")
        spark.sql("CREATE OR REPLACE TEMP VIEW er_state_blocking AS "
                  "SELECT rid, blocking_type, blocking_key FROM semantic.blocking_index")
        spark.sql(f"CREATE OR REPLACE TEMP VIEW er_state_links AS SELECT {_LINK_COLS} FROM semantic.entity_links")
        spark.sql(f"CREATE OR REPLACE TEMP VIEW er_state_aliases AS SELECT {_ALIAS_COLS} FROM semantic.entity_aliases")
    params = er_core.Params()
    run_id = uuid.uuid4().hex[:12]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    on, writes = "spark", {table: f"INSERT OVERWRITE {table} {select}" for table, select in STATE_WRITES.items()}
    if first or normalised:
        duck = None if first else driver_engine(normalised)
        if duck is not None:
            on = "driver"
            result, writes = resolve_on_driver(spark, duck, params, run_id, now)
        else:
            result = er_core.run(engine, params, run_id=run_id, now=now, first_run=first)
    else:
        on = "none"
        result = unchanged_result(spark)
    phases.update({f"method_{k}": v for k, v in result.phases.items()})
    phase("method")
    if result.changed == 0 and not first:
        if normalised:
            log.info("entity resolution: new input, but no record's keys changed")
    else:
        for statement in writes.values():  # one commit per table, in STATE_WRITES' order
            spark.sql(statement)
    phase("write_state")
    if normalised:
        # after the index: a hash stored names a record the index holds as normalised from that input
        stored = "SELECT r._key AS rid, r._input_hash AS input_hash FROM er_raw_keyed r JOIN er_records e ON e.rid = r._key"
        if fresh:  # only the fresh ids were read: the others' hashes stand
            spark.sql(f"""MERGE INTO metadata.er_input_hashes t USING ({stored}) s ON t.rid = s.rid
                WHEN MATCHED AND t.input_hash <> s.input_hash THEN UPDATE SET input_hash = s.input_hash
                WHEN NOT MATCHED THEN INSERT (rid, input_hash) VALUES (s.rid, s.input_hash)""")
        else:
            spark.sql(f"INSERT OVERWRITE metadata.er_input_hashes {stored}")
    # last: the snapshots read are covered (a crash before this re-reads them; the hashes skip what is done)
    forget_watermarks(spark, job.split("#")[0] + "#", keep=job)
    write_watermarks(spark, job, snapshots, normalised)
    stats = {"run_id": run_id, "mode": "full" if first else "incremental", "method_on": on, "records": result.records,
             "normalised_records": normalised, "changed_records": result.changed, "candidate_pairs": result.candidate_pairs,
             "reduction_ratio": result.reduction_ratio, "matches": result.links_scored_above,
             "links_total": result.links_total, "clusters_recomputed": result.clusters_recomputed,
             "entities": result.entities, "largest_cluster": result.largest_entity,
             "split_clusters": result.split_clusters, "merges": result.merges, "seconds": result.seconds}
    phase("write_hashes")
    params_json = json.dumps(params.describe()).replace("'", "''")
    spark.sql(f"""INSERT INTO semantic.entity_resolution_stats VALUES (
        '{run_id}', '{stats['mode']}', CAST('{now}' AS TIMESTAMP), {result.records}, {result.changed},
        {result.candidate_pairs}, {result.reduction_ratio}, {result.links_scored_above}, {result.links_total},
        {result.clusters_recomputed}, {result.entities}, {result.largest_entity}, {result.split_clusters},
        {result.merges}, {result.seconds}, '{params_json}')""")
    phase("write_stats")
    stats["phases"] = {**phases, "total": round(time.monotonic() - started, 2)}
    return stats


# =============================================================================
# File mode (no catalog): the same method on a file, Spark local mode
# =============================================================================


def run_file(input_file: Path, mapping: str, output_file: Path) -> dict[str, Any]:
    from pyspark.sql import SparkSession

    # the Python workers must run in this virtualenv (phonenumbers); read when the JVM starts
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.appName("icefloe-er-file").master("local[2]")
             .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    fields = dict(p.split("=", 1) for p in mapping.split(",") if p)
    reader = spark.read.option("header", True).csv if input_file.suffix == ".csv" else spark.read.parquet
    reader(str(input_file)).createOrReplaceTempView("er_file")
    select = ", ".join(f"CAST(`{fields[f]}` AS STRING) AS {f}" if f in fields else f"CAST(NULL AS STRING) AS {f}"
                       for f in er_core.INPUT_FIELDS)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW er_raw AS SELECT {select} FROM er_file")
    engine = SparkEngine(spark)
    engine.normalise("er_raw", "er_norm", _normaliser("US"))
    _dedupe_input(engine)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    result = er_core.run(engine, er_core.Params(), run_id="file", now=now, first_run=True)
    import csv

    rows = spark.sql("SELECT source, source_id AS id, entity_id, match_confidence FROM er_records "
                     "ORDER BY entity_id, source, source_id").collect()
    output_file.parent.mkdir(parents=True, exist_ok=True)
    with output_file.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["source", "id", "entity_id", "match_confidence"])
        out.writerows(tuple(r) for r in rows)
    return {"records": result.records, "entities": result.entities, "candidate_pairs": result.candidate_pairs,
            "seconds": result.seconds, "output": str(output_file)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full"])
    parser.add_argument("--sources", type=Path, default=SOURCES_FILE)
    parser.add_argument("--input-file", type=Path)
    parser.add_argument("--map", default="")
    parser.add_argument("--output-file", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t0 = time.monotonic()
    if args.input_file:
        if not args.output_file or "id=" not in args.map:
            parser.error("file mode needs --input-file, --map id=...,... and --output-file")
        result = run_file(args.input_file, args.map, args.output_file)
    else:
        result = run_catalog(args.mode, args.sources)
    log.info("done in %.1fs: %s", time.monotonic() - t0, result)
    from icefloe_spark import emit

    emit("ICEFLOE_RESULT", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
