"""The raw-layer streaming job: every declared Kafka topic -> its Iceberg `raw.*` table.

    runner.py [--sources shopify_orders,stripe_charges | --sources all] [--bounded]
              [--checkpoint-interval 10s] [--resume-from <checkpoint dir>] [--print-sql]

One job, one INSERT per source, rendered from `sql/00_raw/raw_source.sql` and `sources.yaml`.
Exactly-once: checkpoints hold the Kafka offsets, and the Iceberg sink commits on checkpoint.
`--bounded` stops at the offsets that are latest when the job starts (used by the demo and
tests); without it the job runs until stopped.

The same file is the entry point of the Amazon Managed Service for Apache Flink application:
there the `ICEFLOE_*` values come from the runtime property group "icefloe" instead of the
environment. It imports nothing from the `icefloe` package (which lives in another virtualenv).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

log = logging.getLogger("icefloe.flink")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SQL_DIR = Path(os.environ.get("ICEFLOE_SQL_DIR", ROOT / "sql")) / "00_raw"
SQL_FILE = SQL_DIR / "raw_source.sql"
KAFKA_SOURCE_FILE = SQL_DIR / "kafka_source.sql"
DEAD_LETTER_FILE = SQL_DIR / "dead_letters.sql"
DEAD_LETTER_INSERT_FILE = SQL_DIR / "dead_letter_insert.sql"
SOURCES_FILE = Path(os.environ.get("ICEFLOE_SOURCES_FILE", ROOT / "sources.yaml"))
MANAGED_FLINK_PROPERTIES = Path("/etc/flink/application_properties.json")


def say(message: str) -> None:
    """Progress for the job's log. (PyFlink reconfigures Python logging when its JVM starts, so
    these lines are printed, not logged.)"""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} icefloe.flink: {message}", flush=True)


def load_profile() -> dict[str, str]:
    """ICEFLOE_* values: Managed Flink's property group "icefloe" if present, then environment."""
    profile: dict[str, str] = {}
    if MANAGED_FLINK_PROPERTIES.exists():
        for group in json.loads(MANAGED_FLINK_PROPERTIES.read_text()):
            if group.get("PropertyGroupId") == "icefloe":
                for k, v in group.get("PropertyMap", {}).items():
                    profile[k if k.startswith("ICEFLOE_") else "ICEFLOE_" + k.upper()] = v
    profile.update({k: v for k, v in os.environ.items() if k.startswith("ICEFLOE_")})
    if "ICEFLOE_CATALOG_URI" not in profile:
        raise SystemExit("ICEFLOE_CATALOG_URI is not set: run through `icefloe flink run` or source "
                         "the profile (.icefloe/profile.env)")
    return profile


def catalog_ddl(p: dict[str, str]) -> str:
    props = {
        "type": "iceberg",
        "catalog-type": "rest",
        "uri": p["ICEFLOE_CATALOG_URI"],
        "warehouse": p.get("ICEFLOE_CATALOG_WAREHOUSE", "s3://icefloe-warehouse/"),
        "io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        "client.region": p.get("ICEFLOE_REGION", "us-east-1"),
        # the start-offset search plans the raw tables, then reads a few files (planning again)
        "io.manifest.cache-enabled": "true",
    }
    if p.get("ICEFLOE_S3_ENDPOINT"):
        props["s3.endpoint"] = p["ICEFLOE_S3_ENDPOINT"]
    if p.get("ICEFLOE_S3_PATH_STYLE", "false").lower() == "true":
        props["s3.path-style-access"] = "true"
    if p.get("ICEFLOE_S3_ACCESS_KEY_ID"):
        props["s3.access-key-id"] = p["ICEFLOE_S3_ACCESS_KEY_ID"]
        props["s3.secret-access-key"] = p.get("ICEFLOE_S3_SECRET_ACCESS_KEY", "")
    if p.get("ICEFLOE_CATALOG_SIGV4", "false").lower() == "true":
        props.update({"rest.sigv4-enabled": "true", "rest.signing-name": "glue",
                      "rest.signing-region": props["client.region"]})
    body = ",\n  ".join(f"'{k}' = '{v}'" for k, v in props.items())
    return f"CREATE CATALOG icefloe WITH (\n  {body}\n)"


def startup_options(offsets: dict[int, int] | None) -> str:
    """Where a Kafka source starts when no checkpoint is restored: just after the last offset
    already in Iceberg (the table, not Kafka's committed group offsets, is the source of truth,
    so consecutive runs never write a record twice), or at the earliest offset."""
    if not offsets:
        return "'scan.startup.mode' = 'earliest-offset',"
    spec = ";".join(f"partition:{p},offset:{o + 1}" for p, o in sorted(offsets.items()))
    return f"'scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = '{spec}',"


def kafka_values(profile: dict[str, str], bounded: bool, offsets: dict[int, int] | None = None) -> dict[str, str]:
    return {
        "startup_options": startup_options(offsets),
        "kafka_bootstrap_servers": profile.get("ICEFLOE_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        "kafka_security_protocol": profile.get("ICEFLOE_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        "bounded_option": "'scan.bounded.mode' = 'latest-offset'," if bounded else "",
    }


def sections(path: Path, values: dict[str, str]) -> dict[str, str]:
    """The `-- ====  NAME` sections of a SQL template, rendered with `values`."""
    text = Template(path.read_text()).substitute(values)
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("-- ====") and line.strip("-= ").strip():
            current = line.strip("-= ").strip()
            out[current] = ""
        elif current:
            out[current] += line + "\n"
    return {k: v.strip().rstrip(";") for k, v in out.items()}


def kafka_source(name: str, topic: str, profile: dict[str, str], bounded: bool,
                 offsets: dict[int, int] | None) -> str:
    """CREATE TEMPORARY TABLE kafka_<name> for one topic."""
    return sections(KAFKA_SOURCE_FILE, {**kafka_values(profile, bounded, offsets), "name": name,
                                        "topic": topic, "group_id": f"icefloe-raw-{name}"})["SOURCE"]


def dead_letter_insert(name: str, topic: str, error: str, where: str) -> str:
    """INSERT INTO raw.dead_letters the records of kafka_<name> selected by `where`."""
    return sections(DEAD_LETTER_INSERT_FILE, {"name": name, "topic": topic, "error": error,
                                              "where": where})["INSERT"]


def render(source: dict, profile: dict[str, str], bounded: bool,
           offsets: dict[int, int] | None = None) -> dict[str, str]:
    """The SOURCE, SINK, INSERT and DEAD_LETTER statements of one source."""
    key_fields = source.get("key_fields") or {}
    name, topic = f"{source['source']}_{source['object']}", f"{source['source']}.{source['object']}"
    values = {
        "name": name,
        "key_columns": "".join(f"`{k}` STRING COMMENT 'extracted from {path}',\n  "
                               for k, path in key_fields.items()),
        "key_selects": "".join(f"JSON_VALUE(CAST(`value` AS STRING), '{path}') AS `{k}`,\n  "
                               for k, path in key_fields.items()),
    }
    return {
        "SOURCE": kafka_source(name, topic, profile, bounded, offsets),
        **sections(SQL_FILE, values),
        # nothing is dropped silently: a record whose value is not JSON keeps its bytes there
        "DEAD_LETTER": dead_letter_insert(
            name, topic,
            error="CASE WHEN `value` IS NULL THEN 'empty record value (tombstone)' "
                  "ELSE 'record value is not valid JSON' END",
            where="`value` IS NULL OR NOT (CAST(`value` AS STRING) IS JSON)"),
    }


def dead_letter_topic() -> str:
    return yaml.safe_load(SOURCES_FILE.read_text())["dead_letter_topic"]


def render_dead_letters(profile: dict[str, str], bounded: bool,
                        offsets: dict[int, int] | None = None) -> dict[str, str]:
    """The dead-letter table, and the job reading the API's dead-letter topic into it."""
    topic = dead_letter_topic()
    return {
        **sections(DEAD_LETTER_FILE, {"dead_letter_topic": topic}),
        "SOURCE": kafka_source("dead_letter", topic, profile, bounded, offsets),
        "INSERT": dead_letter_insert(
            "dead_letter", topic, where="TRUE",
            error="COALESCE(CAST(`headers`['dead_letter_reason'] AS STRING), 'dead-lettered by the API')"),
    }


@dataclass(frozen=True)
class FileBounds:
    """What the manifests say about one live data file of a raw table (None: no bound recorded).

    `topic` is the one topic all rows of the file belong to (a raw table holds one topic;
    raw.dead_letters several, so there it is known only when the file's source_topic bounds agree).
    `exact` says that every row of the file is live and has a partition and an offset: no delete
    file applies to it and the null counts of both columns are recorded as 0.
    """

    records: int
    partition_min: int | None
    partition_max: int | None
    offset_min: int | None
    offset_max: int | None
    topic: str | None
    exact: bool


def offset_thresholds(files: list[FileBounds], topic: str) -> dict[int, int]:
    """Per Kafka partition, an offset that the highest offset written there is known to reach.

    A file whose rows are all live, all of partition p (p >= 0) and all of `topic` holds at least
    one row with an offset >= its lower bound, so the partition's max is >= that bound. Only such
    files give a threshold (a job with parallelism 1 writes every partition into each file, so
    usually there is none and `OffsetSearch` narrows down by offset instead).
    """
    out: dict[int, int] = {}
    for f in files:
        if (f.exact and f.records > 0 and f.topic == topic and f.partition_min is not None
                and f.partition_min == f.partition_max and f.partition_min >= 0 and f.offset_min is not None):
            out[f.partition_min] = max(f.offset_min, out.get(f.partition_min, f.offset_min))
    return out


@dataclass(frozen=True)
class Term:
    """Rows with partition_low <= _kafka_partition <= partition_high (None: no upper end) and
    offset_low <= _kafka_offset < offset_high (None: no such end)."""

    partition_low: int
    partition_high: int | None
    offset_low: int | None
    offset_high: int | None


def _term_sql(t: Term) -> str:
    parts = [f"_kafka_partition = {t.partition_low}" if t.partition_low == t.partition_high
             else f"_kafka_partition >= {t.partition_low}"]
    if t.partition_high is not None and t.partition_high != t.partition_low:
        parts.append(f"_kafka_partition <= {t.partition_high}")
    if t.offset_low is not None:
        parts.append(f"_kafka_offset >= {t.offset_low}")
    if t.offset_high is not None:
        parts.append(f"_kafka_offset < {t.offset_high}")
    return "(" + " AND ".join(parts) + ")"


def _ranges(excluded: set[int]) -> list[tuple[int, int | None]]:
    """The partitions >= 0 not in `excluded`, as (low, high) ranges; high None = unbounded."""
    out, low = [], 0
    for p in sorted(excluded):
        if p > low:
            out.append((low, p - 1))
        low = max(low, p + 1)
    return [*out, (low, None)]


class OffsetSearch:
    """Finds the highest offset per Kafka partition in one table (or one topic of
    raw.dead_letters) by reading, round by round, only rows at high offsets.

    Round 1 reads, for a partition with a threshold (`offset_thresholds`), its rows at or above
    it, and for every other partition (>= 0) the rows above the upper bound of the third-highest
    file (so the top rows of the two files with the highest bounds). A partition with a row there
    has its max. The partitions still unresolved are searched in the next rounds below that
    cutoff, among the files whose partition bounds include them: all rows of the 4, then 8 files
    with the highest upper bounds (a partition whose offsets lag the others' has its top rows
    there), and the last round reads what is left. The search ends when no file can hold a row of
    an unresolved partition below the cutoff. Iceberg skips
    each data file whose bounds cannot satisfy a round's condition; the result stays exact with
    any layout (files mixing partitions, deleted rows, missing bounds), as the conditions are on
    rows and the bounds are only ever used as bounds.
    """

    def __init__(self, files: list[FileBounds], topic: str, max_rounds: int = 4, first_files: int = 2) -> None:
        self.files = [f for f in files if f.records > 0 and (f.topic is None or f.topic == topic)]
        self.thresholds = offset_thresholds(self.files, topic)
        self.found: dict[int, int] = {}
        self.rounds = 0
        self.max_rounds = max_rounds
        self.first_files = first_files
        self.upper: int | None = None  # unresolved partitions have no row at or above it
        self.done = False
        self.files_in_round = 0  # files the last condition can match, judged from their bounds
        self.rows_in_round = 0  # and their rows
        self._cutoff: int | None = None

    def _unresolved(self) -> list[tuple[int, int | None]]:
        return _ranges(set(self.found) | (set(self.thresholds) if self.rounds == 0 else set()))

    def _may_hold_unresolved(self, f: FileBounds, ranges: list[tuple[int, int | None]]) -> bool:
        lo = f.partition_min if f.partition_min is not None else 0
        hi = f.partition_max
        in_range = any((high is None or lo <= high) and (hi is None or hi >= low) for low, high in ranges)
        below = self.upper is None or f.offset_min is None or f.offset_min < self.upper
        return in_range and below

    def condition(self) -> str | None:
        """The SQL condition of the next round's read, or None when the search is over."""
        terms = self.terms()
        return None if terms is None else " OR ".join(_term_sql(t) for t in terms)

    def terms(self) -> list[Term] | None:
        """The next round's read as terms to OR, or None when the search is over."""
        if self.done:
            return None
        ranges = self._unresolved()
        candidates = [f for f in self.files if self._may_hold_unresolved(f, ranges)]
        terms = [Term(p, p, o, None) for p, o in sorted(self.thresholds.items())] if self.rounds == 0 else []
        self._cutoff = None
        if candidates:
            top = sorted(candidates, key=lambda f: -f.offset_max if f.offset_max is not None else -2**63)
            batch = self.first_files * 2 ** self.rounds
            last = self.rounds >= self.max_rounds - 1  # reads everything left
            if self.rounds == 0 and not last and len(top) > batch and top[batch].offset_max is not None:
                # just above the next file's highest offset: only the first files' top rows
                self._cutoff = top[batch].offset_max + 1
            elif self.rounds > 0 and not last:
                # all rows of the newest files: with files mixing partitions, a partition whose
                # offsets lag the others' has its top rows among them
                lows = [f.offset_min for f in top[:batch]]
                self._cutoff = None if None in lows else min(lows)
            terms += [Term(low, high, self._cutoff, self.upper) for low, high in ranges]
        if not terms:
            self.done = True
            return None
        chosen = {id(f) for f in candidates}
        matched = [f for f in self.files if self._matches(f, id(f) in chosen)]
        self.files_in_round, self.rows_in_round = len(matched), sum(f.records for f in matched)
        return terms

    def _matches(self, f: FileBounds, candidate: bool) -> bool:
        if candidate and (self._cutoff is None or f.offset_max is None or f.offset_max >= self._cutoff):
            return True
        lo, hi = f.partition_min, f.partition_max
        return self.rounds == 0 and any(
            (lo is None or lo <= p) and (hi is None or p <= hi) and (f.offset_max is None or f.offset_max >= o)
            for p, o in self.thresholds.items())

    def update(self, found: dict[int, int]) -> None:
        """Take the max offsets per partition the round's condition read."""
        if self.rounds == 0 and any(p not in found for p in self.thresholds):
            # cannot happen with the bounds of the snapshot read; if it does, start over without them
            self.thresholds, self.found, self.upper = {}, {}, None
            self.rounds = 0
            return
        for p, o in found.items():
            if p >= 0:
                self.found[p] = max(o, self.found.get(p, o))
        self.rounds += 1
        self.upper = self._cutoff
        if self._cutoff is None or self.rounds >= self.max_rounds:
            self.done = True  # every remaining row was read (the round had no lower cutoff)


def file_bounds(tenv, table: str, topic: str | None) -> tuple[int | None, list[FileBounds]]:
    """The current snapshot id of raw.<table> and the bounds of its live data files, read from
    the manifests through the Iceberg catalog of the Flink session (no data file is opened).

    `topic`: the table's one topic, or None for raw.dead_letters (then taken from source_topic).
    """
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    catalog = tenv.get_catalog("icefloe")._j_catalog.catalog()  # the Iceberg catalog behind Flink's
    t = catalog.loadTable(jvm.org.apache.iceberg.catalog.TableIdentifier.parse(f"raw.{table}"))
    snapshot = t.currentSnapshot()
    if snapshot is None:
        return None, []
    schema = t.schema()
    conv = jvm.org.apache.iceberg.types.Conversions

    def field(name: str):
        f = schema.findField(name)
        return (f.fieldId(), f.type()) if f is not None else (None, None)

    (pid, ptype), (oid, otype) = field("_kafka_partition"), field("_kafka_offset")
    tid, ttype = field("source_topic") if topic is None else (None, None)

    def bound(values, fid, ftype):
        buf = values.get(fid) if values is not None and fid is not None else None
        return None if buf is None else conv.fromByteBuffer(ftype, buf)

    out = []
    tasks = t.newScan().useSnapshot(snapshot.snapshotId()).includeColumnStats().planFiles()
    try:
        it = tasks.iterator()
        while it.hasNext():
            task = it.next()
            f = task.file()
            lower, upper, nulls = f.lowerBounds(), f.upperBounds(), f.nullValueCounts()
            file_topic = topic
            if topic is None:
                lo, hi = bound(lower, tid, ttype), bound(upper, tid, ttype)
                # string bounds may be truncated; equal bounds are the value itself
                file_topic = str(lo) if lo is not None and hi is not None and str(lo) == str(hi) else None
            null_free = nulls is not None and all(nulls.get(i) == 0 for i in (pid, oid))
            out.append(FileBounds(
                records=f.recordCount(),
                partition_min=bound(lower, pid, ptype), partition_max=bound(upper, pid, ptype),
                offset_min=bound(lower, oid, otype), offset_max=bound(upper, oid, otype),
                topic=file_topic, exact=null_free and task.deletes().isEmpty()))
    finally:
        tasks.close()
    return snapshot.snapshotId(), out


#: a round expected to return at most this many rows reads them in this JVM (Iceberg's generic
#: reader, no Flink job to start); larger ones run as one bounded Flink query
IN_PROCESS_ROWS = 50_000


def _read_in_jvm(tenv, table: str, snapshot: int, topic: str | None, terms: list[Term]) -> dict[int, int]:
    """MAX(_kafka_offset) per partition of the rows of raw.<table> (at `snapshot`; of `topic`
    only, for raw.dead_letters) that match one of `terms`, read with Iceberg's generic reader in
    the Flink session's JVM: it prunes files by their bounds, filters rows and applies deletes."""
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    ex = jvm.org.apache.iceberg.expressions.Expressions
    both, either = getattr(ex, "and"), getattr(ex, "or")
    catalog = tenv.get_catalog("icefloe")._j_catalog.catalog()
    t = catalog.loadTable(jvm.org.apache.iceberg.catalog.TableIdentifier.parse(f"raw.{table}"))
    condition = ex.alwaysFalse()
    for term in terms:
        e = ex.greaterThanOrEqual("_kafka_partition", term.partition_low)
        if term.partition_high is not None:
            e = both(e, ex.lessThanOrEqual("_kafka_partition", term.partition_high))
        if term.offset_low is not None:
            e = both(e, ex.greaterThanOrEqual("_kafka_offset", term.offset_low))
        if term.offset_high is not None:
            e = both(e, ex.lessThan("_kafka_offset", term.offset_high))
        condition = either(condition, e)
    if topic is not None:
        condition = both(ex.equal("source_topic", topic), condition)
    columns = jvm.java.util.ArrayList()
    columns.add("_kafka_partition")
    columns.add("_kafka_offset")
    rows = jvm.org.apache.iceberg.data.IcebergGenerics.read(t).useSnapshot(snapshot).where(condition) \
        .select(columns).build()
    out: dict[int, int] = {}
    try:
        it = rows.iterator()
        while it.hasNext():
            r = it.next()
            p, o = r.getField("_kafka_partition"), r.getField("_kafka_offset")
            # the reader filters rows too; checked again here, as the SQL path does
            if p is not None and o is not None and any(_term_holds(term, p, o) for term in terms):
                out[p] = max(o, out.get(p, o))
    finally:
        rows.close()
    return out


def _term_holds(t: Term, p: int, o: int) -> bool:
    return (t.partition_low <= p and (t.partition_high is None or p <= t.partition_high)
            and (t.offset_low is None or o >= t.offset_low) and (t.offset_high is None or o < t.offset_high))


def committed_offsets(tenv, topics: dict[str, str]) -> dict[str, dict[int, int]]:
    """The highest Kafka offset per partition already written to Iceberg, per topic.

    `topics` maps topic -> raw table name. Records of a topic may be in its raw table or, when
    unparsable, in raw.dead_letters; both count. The file bounds in the manifests steer an
    `OffsetSearch` per table (and per topic of raw.dead_letters); each round reads, at the
    snapshot the bounds describe, only the data files whose bounds can satisfy its condition:
    in this JVM when they hold few rows, else in one bounded Flink query over all tables.
    Usually one round does.
    """
    from pyflink.table.catalog import ObjectPath

    catalog = tenv.get_catalog("icefloe")
    t0 = time.monotonic()
    searches: list[tuple[str, str, int, str | None, OffsetSearch]] = []  # topic, table, snapshot, topic filter
    for topic, table in topics.items():
        if table and catalog.table_exists(ObjectPath("raw", table)):
            snapshot, files = file_bounds(tenv, table, topic)
            if snapshot is not None:
                searches.append((topic, table, snapshot, None, OffsetSearch(files, topic)))
    if catalog.table_exists(ObjectPath("raw", "dead_letters")):
        snapshot, files = file_bounds(tenv, "dead_letters", None)
        if snapshot is not None:
            searches += [(t, "dead_letters", snapshot, t, OffsetSearch(files, t)) for t in topics]
    total = sum(len(s.files) for *_, s in searches)
    say(f"bounds of {total} data file(s) read from the manifests in {time.monotonic() - t0:.1f}s")
    rounds = read = 0
    while True:
        t1 = time.monotonic()
        parts, pending, found = [], [], {}
        for i, (_, table, snapshot, topic, search) in enumerate(searches):
            terms = search.terms()
            if terms is None:
                continue
            read += search.files_in_round
            if search.rows_in_round <= IN_PROCESS_ROWS:
                found[i] = _read_in_jvm(tenv, table, snapshot, topic, terms)
                continue
            where = f"source_topic = '{topic}' AND " if topic else ""
            pending.append(i)
            parts.append(f"SELECT {i} AS t, _kafka_partition AS p, _kafka_offset AS o "
                         f"FROM icefloe.`raw`.{table} /*+ OPTIONS('snapshot-id'='{snapshot}') */ "
                         f"WHERE {where}({' OR '.join(_term_sql(t) for t in terms)})")
        if not parts and not found:
            break
        rounds += 1
        if parts:
            queried = _max_offsets(tenv, parts)
            found.update({i: queried.get(str(i), {}) for i in pending})
        for i, offsets in found.items():
            searches[i][4].update(offsets)
        say(f"round {rounds}: {len(found) - len(pending)} read in this JVM, {len(pending)} by a Flink query, "
            f"in {time.monotonic() - t1:.1f}s")
    out: dict[str, dict[int, int]] = {}
    for topic, _, _, _, search in searches:
        for p, o in search.found.items():
            out.setdefault(topic, {})[p] = max(o, out.get(topic, {}).get(p, o))
    say(f"start offsets from {rounds} round(s) of reads, {read} data file(s) of {total} (by their bounds)")
    return out


def committed_offsets_full_scan(tenv, topics: dict[str, str]) -> dict[str, dict[int, int]]:
    """`committed_offsets` by reading every row (the reference the pruned read is checked against)."""
    from pyflink.table.catalog import ObjectPath

    catalog = tenv.get_catalog("icefloe")
    parts = []
    for topic, table in topics.items():
        if table and catalog.table_exists(ObjectPath("raw", table)):
            parts.append(f"SELECT '{topic}' AS t, _kafka_partition AS p, _kafka_offset AS o "
                         f"FROM icefloe.`raw`.{table}")
    if catalog.table_exists(ObjectPath("raw", "dead_letters")):
        quoted = ", ".join(f"'{t}'" for t in topics)
        parts.append("SELECT source_topic AS t, _kafka_partition AS p, _kafka_offset AS o "
                     f"FROM icefloe.`raw`.dead_letters WHERE source_topic IN ({quoted})")
    return _max_offsets(tenv, parts)


def _max_offsets(tenv, parts: list[str]) -> dict[str, dict[int, int]]:
    """MAX(offset) per topic and partition over the UNION ALL of `parts` (one bounded query)."""
    out: dict[str, dict[int, int]] = {}
    if not parts:
        return out
    query = f"SELECT t, p, MAX(o) FROM ({' UNION ALL '.join(parts)}) GROUP BY t, p"
    with tenv.execute_sql(query).collect() as rows:
        for t, p, o in rows:  # a changelog: MAX only grows, so the largest value seen is final
            if p is not None and p >= 0 and o is not None:  # partition -1: rows not from Kafka (tests)
                out.setdefault(str(t), {})[p] = max(o, out.get(str(t), {}).get(p, -1))
    return out


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """The newest completed checkpoint (a chk-N directory holding `_metadata`) of any job."""
    root = Path(checkpoint_dir.removeprefix("file://"))
    done = [m.parent for m in root.glob("*/chk-*/_metadata")]
    if not done:
        return None
    return str(max(done, key=lambda p: p.stat().st_mtime))


def foreign_commits_since(checkpoint: str, tables: list[str], profile: dict[str, str]) -> list[str]:
    """Raw tables another Flink job has added records to since `checkpoint` (a `<job id>/chk-N` dir).

    Restoring such a checkpoint would re-read Kafka records that other job already wrote (a bounded
    run between two streaming runs, say): the caller then starts from the offsets in Iceberg instead.
    Reads the table metadata from the REST catalog; not possible with SigV4 (AWS), where Managed
    Flink restores its own snapshots and `--resume-from latest` is not used.
    """
    import urllib.error
    import urllib.request

    chk = Path(checkpoint)
    job_id = chk.parent.name
    since_ms = int((chk / "_metadata").stat().st_mtime * 1000)
    base = profile.get("ICEFLOE_CATALOG_URI", "").rstrip("/")
    foreign = []
    for table in tables:
        try:
            with urllib.request.urlopen(f"{base}/v1/namespaces/raw/tables/{table}", timeout=30) as r:
                snapshots = json.load(r)["metadata"].get("snapshots", [])
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                continue
            raise
        if any(s["timestamp-ms"] > since_ms and s.get("summary", {}).get("flink.job-id") != job_id
               and int(s.get("summary", {}).get("added-records", "0")) > 0 for s in snapshots):
            foreign.append(table)
    return foreign


def select_sources(spec: str) -> list[dict]:
    declared = yaml.safe_load(SOURCES_FILE.read_text())["sources"]
    if spec == "all":
        return declared
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    by_name = {f"{s['source']}_{s['object']}": s for s in declared}
    unknown = [w for w in wanted if w.replace(".", "_") not in by_name]
    if unknown:
        raise SystemExit(f"unknown source(s) {unknown}; sources.yaml declares {sorted(by_name)}")
    return [by_name[w.replace(".", "_")] for w in wanted]


def build_env(args, profile: dict[str, str], batch: bool = False):
    """The table environment: streaming with exactly-once checkpoints for the job, or batch (no
    checkpoints, final results only) for the bounded offset queries that precede it."""
    from pyflink.common import Configuration
    from pyflink.table import EnvironmentSettings, TableEnvironment

    jars = [j for j in (args.jars or profile.get("ICEFLOE_FLINK_JARS", "")).split(",") if j]
    if not jars and (HERE / "lib").is_dir():
        jars = [str(p) for p in sorted((HERE / "lib").glob("*.jar"))]
    # Iceberg's Flink catalog needs Hadoop's Configuration on the *system* classpath: PyFlink's
    # gateway appends HADOOP_CLASSPATH to the JVM it starts; in pipeline.jars it is not found.
    hadoop = [j for j in jars if Path(j).name.startswith("hadoop-client-")]
    if hadoop:
        os.environ["HADOOP_CLASSPATH"] = os.pathsep.join(str(Path(j).resolve()) for j in hadoop)
    # (so this must happen before anything starts that JVM, `Configuration()` included)
    conf = Configuration()
    others = [j for j in jars if j not in hadoop]
    if others:
        conf.set_string("pipeline.jars", ";".join(Path(j).resolve().as_uri() for j in others))
    conf.set_string("table.local-time-zone", "UTC")
    conf.set_string("parallelism.default", str(args.parallelism))
    if batch:
        conf.set_string("pipeline.name", "icefloe-raw-start-offsets")
        # the planner would plan every table in full for its statistics
        conf.set_string("table.optimizer.source.report-statistics-enabled", "false")
        settings = EnvironmentSettings.new_instance().in_batch_mode().with_configuration(conf).build()
        return TableEnvironment.create(settings)
    conf.set_string("execution.checkpointing.interval", args.checkpoint_interval)
    conf.set_string("execution.checkpointing.mode", "EXACTLY_ONCE")
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    conf.set_string("execution.checkpointing.checkpoints-after-tasks-finish.enabled", "true")
    if args.checkpoint_dir:
        conf.set_string("execution.checkpointing.dir", args.checkpoint_dir)
    conf.set_string("execution.checkpointing.num-retained", "3")
    conf.set_string("execution.checkpointing.min-pause", "1s")
    conf.set_string("execution.checkpointing.timeout", "2min")
    conf.set_string("table.local-time-zone", "UTC")
    conf.set_string("pipeline.name", "icefloe-raw-ingest")
    conf.set_string("parallelism.default", str(args.parallelism))
    if args.resume_from:
        conf.set_string("execution.state-recovery.path", args.resume_from)
    settings = EnvironmentSettings.new_instance().in_streaming_mode().with_configuration(conf).build()
    return TableEnvironment.create(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", default="all", help="comma-separated <source>_<object> names, or 'all'")
    parser.add_argument("--bounded", action="store_true", help="stop at the offsets current at start")
    parser.add_argument("--checkpoint-interval", default="10s")
    parser.add_argument("--checkpoint-dir", help="default: ICEFLOE_CHECKPOINT_DIR")
    parser.add_argument("--resume-from", help="a retained checkpoint (chk-N dir) to restore from, or "
                        "'latest' for the newest one under the checkpoint dir (none: start from Kafka group offsets)")
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--jars", help="comma-separated jar paths (default: ICEFLOE_FLINK_JARS or ./lib)")
    parser.add_argument("--print-sql", action="store_true", help="print the statements and exit")
    parser.add_argument("--start-offsets-only", choices=["pruned", "full-scan"],
                        help="print the start offsets found in Iceberg (ICEFLOE_START_OFFSETS <json>) and "
                        "exit; 'full-scan' reads every row instead of the files the bounds select")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)

    profile = load_profile()
    sources = select_sources(args.sources)
    if args.print_sql:
        statements = [render(s, profile, args.bounded) for s in sources]
        dead_letters = render_dead_letters(profile, args.bounded)
        print(catalog_ddl({**profile, "ICEFLOE_S3_SECRET_ACCESS_KEY": "***"}) + ";\n")
        for st in [dead_letters, *statements]:
            print(";\n\n".join(st.values()) + ";\n")
        return 0
    if not args.checkpoint_dir and profile.get("ICEFLOE_CHECKPOINT_DIR"):
        # One checkpoint directory per job shape: a checkpoint only restores into the same set of
        # sources, and a bounded run's final checkpoint (sources FINISHED) must never seed a
        # streaming run.
        mode = "bounded" if args.bounded else "streaming"
        names = "all" if args.sources == "all" else "-".join(sorted(f"{s['source']}_{s['object']}" for s in sources))
        shape = f"{mode}-{names}"
        args.checkpoint_dir = profile["ICEFLOE_CHECKPOINT_DIR"].rstrip("/") + "/" + shape[:120]
    if args.resume_from == "latest":
        args.resume_from = latest_checkpoint(args.checkpoint_dir) if args.checkpoint_dir else None
        if args.resume_from and profile.get("ICEFLOE_CATALOG_SIGV4", "false").lower() != "true":
            tables = [f"{s['source']}_{s['object']}" for s in sources] + ["dead_letters"]
            foreign = foreign_commits_since(args.resume_from, tables, profile)
            if foreign:
                say(f"not restoring {args.resume_from}: another job wrote {', '.join(foreign)} since; "
                    "a restore would re-read those records")
                args.resume_from = None
        say(f"resuming from {args.resume_from or 'no checkpoint (none retained yet): offsets from Iceberg'}")

    t0 = time.monotonic()
    # The offset query is a job of its own: it runs in an environment without the checkpoint to
    # restore (that state belongs to the streaming job, not to this query).
    query_env = build_env(argparse.Namespace(**{**vars(args), "resume_from": None}), profile, batch=True)
    query_env.execute_sql(catalog_ddl(profile))
    topics = {f"{s['source']}.{s['object']}": f"{s['source']}_{s['object']}" for s in sources}
    topics[dead_letter_topic()] = ""
    if args.start_offsets_only:
        t1 = time.monotonic()
        find = committed_offsets_full_scan if args.start_offsets_only == "full-scan" else committed_offsets
        offsets = find(query_env, topics)
        print("ICEFLOE_START_OFFSETS " + json.dumps({"method": args.start_offsets_only, "offsets": offsets,
                                                     "seconds": round(time.monotonic() - t1, 3)}), flush=True)
        return 0
    offsets = committed_offsets(query_env, topics)
    say(f"start offsets from Iceberg (used unless a checkpoint is restored): "
        f"{ {t: o for t, o in offsets.items() if o} or 'none yet, earliest'}")
    tenv = build_env(args, profile)
    tenv.execute_sql(catalog_ddl(profile))
    statements = [render(s, profile, args.bounded, offsets.get(f"{s['source']}.{s['object']}")) for s in sources]
    dead_letters = render_dead_letters(profile, args.bounded, offsets.get(dead_letter_topic()))
    job = tenv.create_statement_set()
    tenv.execute_sql(dead_letters["SINK"])
    tenv.execute_sql(dead_letters["SOURCE"])
    job.add_insert_sql(dead_letters["INSERT"])
    for st in statements:
        tenv.execute_sql(st["SOURCE"])
        tenv.execute_sql(st["SINK"])
        job.add_insert_sql(st["INSERT"])
        job.add_insert_sql(st["DEAD_LETTER"])
    result = job.execute()
    client = result.get_job_client()
    job_id = client.get_job_id() if client else "?"
    say(f"job {job_id} submitted in {time.monotonic() - t0:.1f}s for {len(sources)} source(s): "
        + ", ".join(f"{s['source']}_{s['object']}" for s in sources))
    print(f"ICEFLOE_FLINK_JOB_ID {job_id}", flush=True)
    result.wait()
    say(f"job {job_id} finished after {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
