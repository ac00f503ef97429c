"""What every icefloe Spark job shares: the SparkSession on the Iceberg catalog, configured only
from the `ICEFLOE_` contract, and the layered SQL files under `sql/`.

The same file runs in PySpark local mode and on EMR Serverless; only the environment differs.
It deliberately imports nothing from the `icefloe` package (that lives in another virtualenv).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("icefloe.spark")

CATALOG = "icefloe"
SQL_ROOT = Path(os.environ.get("ICEFLOE_SQL_DIR", Path(__file__).resolve().parents[2] / "sql"))


@dataclass(frozen=True)
class SparkSettings:
    """The slice of the `ICEFLOE_` contract a Spark job reads."""

    catalog_uri: str
    catalog_warehouse: str
    catalog_sigv4: bool
    s3_endpoint: str | None
    s3_path_style: bool
    s3_access_key_id: str | None
    s3_secret_access_key: str | None
    region: str
    jars: tuple[str, ...]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SparkSettings:
        env = dict(os.environ if env is None else env)
        try:
            uri = env["ICEFLOE_CATALOG_URI"]
        except KeyError:
            raise SystemExit("ICEFLOE_CATALOG_URI is not set: run the job with `icefloe spark run` "
                             "or source the profile (.icefloe/profile.env)") from None
        return cls(
            catalog_uri=uri,
            catalog_warehouse=env.get("ICEFLOE_CATALOG_WAREHOUSE", "s3://icefloe-warehouse/"),
            catalog_sigv4=env.get("ICEFLOE_CATALOG_SIGV4", "false").lower() == "true",
            s3_endpoint=env.get("ICEFLOE_S3_ENDPOINT") or None,
            s3_path_style=env.get("ICEFLOE_S3_PATH_STYLE", "false").lower() == "true",
            s3_access_key_id=env.get("ICEFLOE_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("ICEFLOE_S3_SECRET_ACCESS_KEY") or None,
            region=env.get("ICEFLOE_REGION", "us-east-1"),
            jars=tuple(j for j in env.get("ICEFLOE_SPARK_JARS", "").split(",") if j),
        )

    def catalog_conf(self) -> dict[str, str]:
        p = f"spark.sql.catalog.{CATALOG}"
        conf = {
            p: "org.apache.iceberg.spark.SparkCatalog",
            f"{p}.type": "rest",
            f"{p}.uri": self.catalog_uri,
            f"{p}.warehouse": self.catalog_warehouse,
            f"{p}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
            f"{p}.client.region": self.region,
        }
        if self.s3_endpoint:
            conf[f"{p}.s3.endpoint"] = self.s3_endpoint
        if self.s3_path_style:
            conf[f"{p}.s3.path-style-access"] = "true"
        if self.s3_access_key_id and self.s3_secret_access_key:
            conf[f"{p}.s3.access-key-id"] = self.s3_access_key_id
            conf[f"{p}.s3.secret-access-key"] = self.s3_secret_access_key
        if self.catalog_sigv4:
            conf.update({f"{p}.rest.sigv4-enabled": "true", f"{p}.rest.signing-name": "glue",
                         f"{p}.rest.signing-region": self.region})
        return conf


def driver_java_options(env=None) -> str:
    """The driver JVM's flags when this process starts it (local mode): the quiet log4j configuration
    beside this file, then ICEFLOE_SPARK_JAVA_OPTIONS (the local launcher's, icefloe/jobs.py). On a
    cluster the driver runs before this code and they do not apply."""
    env = os.environ if env is None else env
    options = []
    log4j = Path(__file__).resolve().parent / "conf" / "log4j2.properties"
    if log4j.exists():  # keep the user's terminal readable: WARN and up only
        options.append(f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    options += env.get("ICEFLOE_SPARK_JAVA_OPTIONS", "").split()
    return " ".join(options)


#: joins whose smaller side Spark estimates under this are broadcast instead of shuffling both sides.
#: Spark's default, 10 MB, shuffled the layers' 1.2M orders (every column) to join a 450,000-row
#: entity map, and staging's MERGEs their targets: at 10M deliveries a +1 % batch took 126-130 s with
#: it and 115-118 s with 64 MB (same stack and data, tables rewound between runs).
BROADCAST_ENV = "ICEFLOE_SPARK_BROADCAST_THRESHOLD"
DEFAULT_BROADCAST = "64m"


def broadcast_threshold(env=None) -> str:
    """ICEFLOE_SPARK_BROADCAST_THRESHOLD (a Spark size: 64m, 10m, 1g; -1 never broadcasts)."""
    value = (os.environ if env is None else env).get(BROADCAST_ENV, DEFAULT_BROADCAST).strip().lower()
    if not re.fullmatch(r"-1|\d+[kmg]?b?", value):
        raise SystemExit(f"{BROADCAST_ENV} must be a size such as 64m, 10m or 1g (or -1: never broadcast), got {value!r}")
    return value


def spark_session(app_name: str, settings: SparkSettings | None = None):
    from pyspark.sql import SparkSession

    settings = settings or SparkSettings.from_env()
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.extensions",
                "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.defaultCatalog", CATALOG)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("ICEFLOE_SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.autoBroadcastJoinThreshold", broadcast_threshold())
        .config("spark.ui.showConsoleProgress", "false")
    )
    java_options = driver_java_options()
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    if settings.jars:
        builder = builder.config("spark.jars", ",".join(settings.jars))
    if os.environ.get("ICEFLOE_SPARK_DRIVER_MEMORY"):  # local mode: the driver is the whole job (default 1g)
        builder = builder.config("spark.driver.memory", os.environ["ICEFLOE_SPARK_DRIVER_MEMORY"])
    if os.environ.get("ICEFLOE_SPARK_MASTER"):
        builder = builder.master(os.environ["ICEFLOE_SPARK_MASTER"])
    if os.environ.get("ICEFLOE_SPARK_WAREHOUSE_DIR"):  # local mode: Spark's own (unused) warehouse directory,
        # which would otherwise appear as an empty spark-warehouse/ in the working directory
        builder = builder.config("spark.sql.warehouse.dir", os.environ["ICEFLOE_SPARK_WAREHOUSE_DIR"])
    for key, value in settings.catalog_conf().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


#: SQL shorthands expanded before Spark sees a file: name -> template over the single argument
MACROS = {
    # HubSpot sends datetime properties as epoch milliseconds in webhooks, ISO 8601 in CRM objects
    "hs_datetime": "coalesce(timestamp_millis(try_cast({0} AS BIGINT)), try_to_timestamp({0}))",
    # a HubSpot raw row parsed once: a webhook event (one property) or a CRM object (all of them)
    "hs_payload": "from_json({0}, 'properties MAP<STRING, STRING>, objectId STRING, id STRING, occurredAt STRING, "
                  "updatedAt STRING, subscriptionType STRING, archived STRING, propertyName STRING, "
                  "propertyValue STRING')",
}


def expand_macros(sql: str) -> str:
    for name, template in MACROS.items():
        sql = re.sub(rf"\b{name}\(([^()]*)\)", lambda m, t=template: t.format(m.group(1).strip()), sql)
    return sql


@dataclass(frozen=True)
class LayerSql:
    """A `sql/NN_layer/<table>.sql` file: its sections (`-- ====  NAME` headers).

    DDL creates the table; TRANSFORM computes its rows; CHANGED_KEYS (layers below staging)
    maps upstream deltas to the target keys to recompute; IGNORED lists payload fields staging
    knows and leaves in raw on purpose.
    """

    path: Path
    ddl: str
    transform: str
    changed_keys: str = ""
    ignored: frozenset[str] = frozenset()

    @classmethod
    def load(cls, layer: str, table: str) -> LayerSql:
        path = SQL_ROOT / layer / f"{table}.sql"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: every table needs its SQL file under sql/{layer}/")
        sections = dict(_split_sections(path.read_text()))
        if "DDL" not in sections:
            raise ValueError(f"{path}: no '-- ====  DDL' section")

        def clean(name: str) -> str:
            return expand_macros(sections.get(name, "").strip().rstrip(";").strip())

        ignored = " ".join(ln for ln in sections.get("IGNORED", "").splitlines() if not ln.lstrip().startswith("--"))
        return cls(path, clean("DDL"), clean("TRANSFORM"), clean("CHANGED_KEYS"), frozenset(ignored.split()))


def _split_sections(text: str):
    parts = re.split(r"^--\s*====\s+([A-Z_]+)\s+=*\s*$", text, flags=re.M)
    for i in range(1, len(parts), 2):
        yield parts[i], parts[i + 1]


# --- test hook: pause at a named point of a run ------------------------------------------------

#: the points a run can pause at (ICEFLOE_TEST_PAUSE_AT), in the order a run passes them
PAUSE_POINTS = ("planned", "between_commits")


_OUTPUT_LOCK = threading.Lock()


def emit(marker: str, payload) -> None:
    """`<marker> <json>` on stdout in one write: the launcher reads these lines from a pipe that the
    log lines of other threads (and the JVM's) share, and `print` writes the newline separately, so a
    log line could land in the middle and make the result unreadable."""
    _write_line(f"{marker} {json.dumps(payload, default=str)}")


def _write_line(text: str) -> None:
    with _OUTPUT_LOCK:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def pause_point(name: str, env: dict[str, str] | None = None, timeout_s: float = 600) -> None:
    """Let a test act at a named point of a run: a no-op unless ICEFLOE_TEST_PAUSE_AT names this point.

    `planned`: the source snapshot range is fixed, nothing written yet. `between_commits`: between the
    job's two commits (its write and its watermark), whichever comes first. With
    `ICEFLOE_TEST_PAUSE_AT=<point>` and `ICEFLOE_TEST_PAUSE_DIR=<dir>` the job prints
    `ICEFLOE_PAUSED <point>`, creates `<dir>/paused-<point>` and waits until `<dir>/resume-<point>`
    exists. The tests use it to land a streaming commit mid-run (invariant 1) and to SIGKILL a job
    between its commits (invariant 2).
    """
    env = os.environ if env is None else env
    if env.get("ICEFLOE_TEST_PAUSE_AT") != name:
        return
    if name not in PAUSE_POINTS:
        raise ValueError(f"unknown pause point {name!r}; ICEFLOE_TEST_PAUSE_AT is one of {PAUSE_POINTS}")
    folder = Path(env.get("ICEFLOE_TEST_PAUSE_DIR") or ".")
    resume = folder / f"resume-{name}"
    (folder / f"paused-{name}").touch()
    _write_line(f"ICEFLOE_PAUSED {name}")
    log.warning("paused at %s until %s exists", name, resume)
    deadline = time.monotonic() + timeout_s
    while not resume.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"paused at {name} for {timeout_s:.0f}s and {resume} never appeared")
        time.sleep(0.1)


# --- snapshots, watermarks, schema: what the staging and layer jobs share -------------------------

WATERMARKS = "metadata.incremental_watermarks"
#: jobs of one process may run side by side (staging's tables): their watermark commits take turns
#: rather than conflict on the one table
_WATERMARK_LOCK = threading.Lock()
#: watermark rows waiting for the end of a `side_by_side` group (None: commit each at once)
_DEFERRED: list[str] | None = None


def table_exists(spark, table: str) -> bool:
    return spark.catalog.tableExists(f"{CATALOG}.{table}")


# Snapshot facts come from the Iceberg table the session's catalog loads (its cache included, as
# for a query), through the JVM: a query of a metadata table (`<table>.history`, `.snapshots`) is
# a Spark job of its own, 100-350 ms on 2 busy cores against 2-30 ms, and an incremental run asks
# a few hundred of these questions.

def _iceberg_table(spark, table: str):
    """The org.apache.iceberg.Table behind `table`, loaded through the session's catalog."""
    return spark._jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, f"{CATALOG}.{table}")


def table_property(spark, table: str, key: str) -> str | None:
    """A table property of `table`, off the Iceberg table's metadata (no Spark command)."""
    return _iceberg_table(spark, table).properties().get(key)


def current_snapshot(spark, table: str) -> int | None:
    """The table's current snapshot id (None while it has none)."""
    snap = _iceberg_table(spark, table).currentSnapshot()
    return None if snap is None else int(snap.snapshotId())


def current_ancestors(spark, table: str) -> set[int]:
    """The snapshots an incremental read from the table can start at: the current one and its
    ancestors still in the table's metadata (not expired, not rolled back)."""
    ids = spark._jvm.org.apache.iceberg.util.SnapshotUtil.currentAncestorIds(_iceberg_table(spark, table))
    return {int(i) for i in str(ids.toString()).strip("[]").split(",") if i.strip()}  # one call, not one per id


def appended_records(spark, table: str, start: int | None, end: int) -> int | None:
    """Rows the snapshots after `start` (exclusive) up to `end` appended to `table`, from their
    summaries: what an incremental read of that range returns, for a table that is only ever
    appended to (raw) and compacted; with `start` None, the rows `end` holds. None when a snapshot
    in the range did anything else (an overwrite, a delete: ask the data) or `start` is not an
    ancestor of `end`."""
    t = _iceberg_table(spark, table)
    snap = t.snapshot(end)
    if snap is None:
        return None
    if start is None:  # all of it (older snapshots may have expired): the rows the snapshot holds
        summary = snap.summary()
        deletes = sum(int(summary.get(k) or 0) for k in ("total-position-deletes", "total-equality-deletes"))
        return None if deletes or summary.get("total-records") is None else int(summary.get("total-records"))
    total = 0
    while snap is not None and int(snap.snapshotId()) != start:
        operation = str(snap.operation())
        if operation == "append":
            total += int(snap.summary().get("added-records") or 0)
        elif operation != "replace":  # a compaction (replace) adds no new rows
            return None
        parent = snap.parentId()
        snap = None if parent is None else t.snapshot(parent)
    return None if snap is None else total  # None: start is not an ancestor of end


def latest_audit_micros(spark, table: str, snapshot_id: int, column: str) -> int | None:
    """An upper bound of timestamp `column` over the rows of `table` at `snapshot_id`, in microseconds,
    from its data files' column statistics (no data file is read): the exact maximum, or above it
    when rows deleted since (merge-on-read) held a later value. Enough to tell the rows written after
    that snapshot, whose audit time is later than any row written before. Falls back to a query when
    a file has no statistics for the column; None when the snapshot holds no row."""
    jvm = spark._jvm
    t = _iceberg_table(spark, table)
    field = t.schema().findField(column)
    if field is None:
        raise ValueError(f"{table} has no column {column}")

    def from_the_data() -> int | None:
        return spark.sql(f"SELECT unix_micros(max({column})) AS m FROM {CATALOG}.{table} "
                         f"VERSION AS OF {snapshot_id}").first().m

    if str(field.type().typeId().toString()) != "TIMESTAMP":  # e.g. nanoseconds (format 3): ask the data
        return from_the_data()
    scan = t.newScan().useSnapshot(snapshot_id).includeColumnStats().select(jvm.java.util.Collections.singletonList(column))
    latest, tasks = None, scan.planFiles()
    try:
        it = tasks.iterator()
        while it.hasNext():
            data = it.next().file()
            if data.recordCount() == 0:
                continue
            bounds = data.upperBounds()
            bound = None if bounds is None else bounds.get(field.fieldId())
            if bound is None:  # no statistics for the column: ask the data
                return from_the_data()
            value = int(jvm.org.apache.iceberg.types.Conversions.fromByteBuffer(field.type(), bound))
            latest = value if latest is None else max(latest, value)
    finally:
        tasks.close()
    return latest


def snapshot_records(spark, table: str, snapshot_id: int) -> int | None:
    """Rows in `table` at `snapshot_id`, from the snapshot's summary (no data file is read; None when
    the snapshot is gone or its summary has no count)."""
    snap = _iceberg_table(spark, table).snapshot(snapshot_id)
    count = None if snap is None else snap.summary().get("total-records")
    return None if count is None else int(count)


def watermarked_since(spark, table: str) -> str | None:
    """Commit time (UTC, 'YYYY-MM-DD HH:MM:SS') of the oldest snapshot of `table` a watermark still
    points at: snapshot expiry must keep it and everything after, or the next incremental read of
    that job has lost its starting point."""
    if not table_exists(spark, WATERMARKS):
        return None
    row = spark.sql(f"""SELECT date_format(min(s.committed_at), 'yyyy-MM-dd HH:mm:ss') AS t
        FROM {WATERMARKS} w JOIN {CATALOG}.{table}.snapshots s ON s.snapshot_id = w.last_snapshot_id
        WHERE w.source_table = '{table}'""").first()
    return row.t if row else None


#: SparkContexts in which the watermark table is known to exist (its DDL is a catalog round trip)
_WATERMARKS_ENSURED: set[int] = set()


def ensure_watermarks(spark) -> None:
    context = getattr(spark, "sparkContext", None)
    if context is not None and id(context) in _WATERMARKS_ENSURED:
        return
    spark.sql(LayerSql.load("metadata", "incremental_watermarks").ddl)
    if context is not None:
        _WATERMARKS_ENSURED.add(id(context))


#: rows of small tables as of a snapshot: (table, columns) -> (snapshot id, rows)
_SMALL_TABLE_ROWS: dict[tuple[str, str], tuple[int, list]] = {}
_SMALL_TABLE_LOCK = threading.Lock()


def rows_as_of_current_snapshot(spark, table: str, columns: str) -> list:
    """`SELECT <columns>` of the whole (small) `table` at its current snapshot, read once per snapshot
    and kept until it changes: the tables of a step ask at once, and each read is a Spark job (one
    of them reads, the others wait for it). No rows while the table has no snapshot."""
    snap = current_snapshot(spark, table)
    if snap is None:
        return []
    with _SMALL_TABLE_LOCK:
        kept = _SMALL_TABLE_ROWS.get((table, columns))
        if kept is None or kept[0] != snap:
            kept = (snap, spark.sql(f"SELECT {columns} FROM {CATALOG}.{table} VERSION AS OF {snap}").collect())
            _SMALL_TABLE_ROWS[(table, columns)] = kept
        return kept[1]


def read_watermarks(spark, job: str) -> dict[str, int]:
    """The job's watermarks ({source table: snapshot id}), from all jobs' read at once per snapshot
    of the watermark table (rows_as_of_current_snapshot)."""
    return {r.source_table: r.last_snapshot_id
            for r in rows_as_of_current_snapshot(spark, WATERMARKS, "job_name, source_table, last_snapshot_id")
            if r.job_name == job}


def write_watermarks(spark, job: str, snapshots: dict[str, int | None], rows: int) -> None:
    """Record every upstream snapshot the job's (already committed) write covered: in one commit now,
    or, inside `side_by_side`, with the other tables' in one commit once the whole group has finished
    (a crash before that leaves the watermarks where they were: the rerun re-processes the same range
    and MERGE makes that harmless, invariant 2)."""
    values = [f"('{job}', '{src}', CAST({snap} AS BIGINT), CAST({rows} AS BIGINT), current_timestamp())"
              for src, snap in snapshots.items() if snap is not None]
    with _WATERMARK_LOCK:
        if _DEFERRED is not None:
            _DEFERRED.extend(values)
            return
    _commit_watermarks(spark, values)


def forget_watermarks(spark, prefix: str, keep: str) -> list[str]:
    """Delete the watermarks of the jobs named `prefix`... other than `keep` (a job renamed by a new
    configuration): a watermark left behind would keep its snapshots from ever being expired."""
    stale = [r.job_name for r in spark.sql(f"SELECT DISTINCT job_name FROM {WATERMARKS} "
                                           f"WHERE startswith(job_name, '{prefix}')").collect() if r.job_name != keep]
    if stale:
        with _WATERMARK_LOCK:
            spark.sql(f"REFRESH TABLE {WATERMARKS}")
            spark.sql(f"DELETE FROM {WATERMARKS} WHERE job_name IN ({', '.join(repr(j) for j in stale)})")
        log.info("watermarks of %s forgotten (renamed to %s)", ", ".join(stale), keep)
    return stale


def _commit_watermarks(spark, values: list[str]) -> None:
    if not values:
        return
    with _WATERMARK_LOCK:
        # each session's catalog caches table metadata: start from the latest commit
        spark.sql(f"REFRESH TABLE {WATERMARKS}")
        spark.sql(f"""
        MERGE INTO {WATERMARKS} t
        USING (SELECT * FROM VALUES {", ".join(values)} AS v(job_name, source_table, last_snapshot_id, rows_processed, updated_at)) s
        ON t.job_name = s.job_name AND t.source_table = s.source_table
        WHEN MATCHED THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *
    """)


def table_columns(spark, table: str) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in spark.table(f"{CATALOG}.{table}").schema.fields]


def evolve_schema(spark, table: str, declared: list[tuple[str, str]]) -> list[str]:
    """Add the columns the SQL file declares but the table lacks (metadata-only, no rewrite),
    each right after its predecessor so the column order matches a fresh CREATE TABLE."""
    existing = {name for name, _ in table_columns(spark, table)}
    added = []
    previous = None
    for name, dtype in declared:
        if name not in existing:
            position = f" AFTER {previous}" if previous else " FIRST"
            spark.sql(f"ALTER TABLE {table} ADD COLUMN {name} {dtype}{position}")
            log.warning("%s: added declared column %s %s (schema evolution)", table, name, dtype)
            added.append(name)
            existing.add(name)
        previous = name
    return added


class Phases:
    """Wall seconds per phase of a table's run (in its ICEFLOE_RESULT: where an incremental run's time goes)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t = time.monotonic()

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(now - self._t, 2)
        self._t = now


# --- several tables at once --------------------------------------------------------------------

def env_count(name: str, default: int, unit: str, zero_means: str, env=None) -> int:
    """A count setting (`ICEFLOE_...`, "2_000_000" allowed): its default when unset; a value that is
    not a whole number, or is negative, stops the job with the setting's name."""
    raw = (os.environ if env is None else env).get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number of {unit}") from None
    if value < 0:
        raise SystemExit(f"{name}={value} is negative: 0 {zero_means}")
    return value


def parallelism(env: dict[str, str] | None = None) -> int:
    """How many tables of one step a job builds side by side (ICEFLOE_BATCH_PARALLELISM, default 4):
    a small delta's time goes mostly to catalog round trips and job planning, which leave the cores
    idle; 1 builds them one after another."""
    value = (os.environ if env is None else env).get("ICEFLOE_BATCH_PARALLELISM", "4")
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"ICEFLOE_BATCH_PARALLELISM must be a whole number >= 1, got {value!r}")
    return int(value)


def side_by_side(spark, items: Sequence, build: Callable, on_result: Callable[[dict], None] = lambda r: None,
                 workers: int | None = None) -> list[dict]:
    """`build(session, item) -> dict` for every item, up to `workers` at a time, each in its own Spark
    session of the one SparkContext (its own temp views; the catalog, the cache and the cores shared).
    Each item commits its write on its own; the watermarks of all of them follow in one commit when
    the group has finished (one commit instead of one per table: each costs about a second). One that
    fails leaves the others' work committed, watermarks included, and the first failure is raised
    once all have finished. `on_result` gets each result, with its `seconds`, as it completes (one call
    at a time)."""
    global _DEFERRED
    workers = max(1, min(workers or parallelism(), len(items)))
    ensure_watermarks(spark)  # once, before any thread: they would race to create it

    reporting = threading.Lock()

    def one(item) -> dict:
        t0 = time.monotonic()
        result = build(spark if workers == 1 else spark.newSession(), item)
        result["seconds"] = round(time.monotonic() - t0, 2)
        with reporting:  # one at a time: two threads' printed result lines would interleave
            on_result(result)
        return result

    results, errors = [], []
    _DEFERRED = []
    try:
        if workers == 1:
            for item in items:
                try:
                    results.append(one(item))
                except Exception as exc:  # noqa: BLE001 - raised below, once the watermarks are committed
                    log.error("%s failed: %s", item, exc)
                    errors.append(exc)
                    break  # one at a time: stop at the first failure, as a plain loop would
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="table") as pool:
                futures = {pool.submit(one, item): item for item in items}
                for future in as_completed(futures):
                    try:
                        results.append(future.result())
                    except Exception as exc:  # noqa: BLE001 - raised below, once the others have finished
                        log.error("%s failed: %s", futures[future], exc)
                        errors.append(exc)
    finally:
        # the watermarks of every table whose write committed, in one commit
        with _WATERMARK_LOCK:
            values, _DEFERRED = _DEFERRED, None
        _commit_watermarks(spark, values)
        if values:
            log.info("%d watermark(s) committed in one commit", len(values))
    if errors:
        raise errors[0]
    return results
