"""The Flink runner's start offsets come from the few data files that can hold each partition's
highest offset, chosen from the file bounds in the Iceberg manifests (jobs/flink/runner.py).

The selection must never skip a file holding a partition's max: checked on random file layouts
(mixed partitions, deleted rows, nulls, missing bounds, rows of partition -1 written without Kafka)
against the rows themselves, and on a real Iceberg table where pyiceberg's own metrics evaluator
prunes the files with the filter the runner sends to Flink.
"""

import sqlite3

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.conversions import from_bytes
from pyiceberg.expressions.parser import parse

TOPIC = "shopify.orders"

# a file: its rows (partition, offset; None = null), which of them are deleted, whether bounds are recorded
row = st.tuples(st.one_of(st.none(), st.integers(-1, 3)), st.one_of(st.none(), st.integers(0, 60)))
data_file = st.tuples(st.lists(row, min_size=1, max_size=8), st.lists(st.booleans(), max_size=8),
                      st.booleans())


def bounds_of(runner, rows, deleted, with_bounds, topic=TOPIC):
    """The FileBounds a writer records for `rows` (bounds and null counts cover deleted rows too)."""
    ps = [p for p, _ in rows if p is not None]
    os_ = [o for _, o in rows if o is not None]
    return runner.FileBounds(
        records=len(rows),
        partition_min=min(ps) if ps and with_bounds else None,
        partition_max=max(ps) if ps and with_bounds else None,
        offset_min=min(os_) if os_ and with_bounds else None,
        offset_max=max(os_) if os_ and with_bounds else None,
        topic=topic,
        exact=not any(deleted) and all(p is not None and o is not None for p, o in rows))


def true_max(live_rows):
    out = {}
    for p, o in live_rows:
        if p is not None and p >= 0 and o is not None:
            out[p] = max(o, out.get(p, o))
    return out


def filtered_max(runner, live_rows, thresholds):
    """MAX(offset) per partition of the rows the runner's SQL filter keeps (evaluated by SQLite)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (_kafka_partition INTEGER, _kafka_offset INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?)", live_rows)
    rows = db.execute("SELECT _kafka_partition, MAX(_kafka_offset) FROM t "
                      f"WHERE {runner.offset_filter(thresholds)} GROUP BY _kafka_partition").fetchall()
    return {p: o for p, o in rows if o is not None}


@settings(max_examples=400, deadline=None)
@given(st.lists(data_file, min_size=1, max_size=12))
def test_no_file_that_can_hold_a_partitions_max_is_skipped(runner, layout):
    files, live = [], []
    for rows, deleted, with_bounds in layout:
        deleted = (deleted + [False] * len(rows))[:len(rows)]
        live_rows = [r for r, d in zip(rows, deleted) if not d]
        files.append((bounds_of(runner, rows, deleted, with_bounds), live_rows))
        live += files[-1][1]
    thresholds = runner.offset_thresholds([f for f, _ in files], TOPIC)
    expected = true_max(live)
    assert all(thresholds[p] <= expected[p] for p in thresholds)
    for bounds, rows in files:
        if any(p in expected and o == expected[p] for p, o in rows):
            assert runner.may_hold_max(bounds, TOPIC, thresholds), (bounds, thresholds)
    assert filtered_max(runner, live, thresholds) == expected


def test_a_file_with_deleted_rows_gives_no_threshold(runner):
    # offsets 100..120 were written to partition 0, then deleted: the file's bounds still say 100..120
    deleted = runner.FileBounds(21, 0, 0, 100, 120, TOPIC, exact=False)
    older = runner.FileBounds(100, 0, 0, 0, 99, TOPIC, exact=True)
    thresholds = runner.offset_thresholds([deleted, older], TOPIC)
    assert thresholds == {0: 0}
    assert runner.may_hold_max(older, TOPIC, thresholds)


def test_files_mixing_partitions_are_read_but_give_no_threshold(runner):
    mixed = runner.FileBounds(10, 0, 2, 5, 500, TOPIC, exact=True)
    pure = [runner.FileBounds(10, p, p, 100 * k, 100 * k + 9, TOPIC, exact=True)
            for k in range(5) for p in (0, 1, 2)]
    thresholds = runner.offset_thresholds([mixed, *pure], TOPIC)
    assert thresholds == {0: 400, 1: 400, 2: 400}
    assert runner.may_hold_max(mixed, TOPIC, thresholds)
    assert [f for f in pure if runner.may_hold_max(f, TOPIC, thresholds)] == pure[-3:]


def test_rows_of_partition_minus_one_are_never_read(runner):
    not_from_kafka = runner.FileBounds(1000, -1, -1, 0, 10**6, TOPIC, exact=True)
    assert runner.offset_thresholds([not_from_kafka], TOPIC) == {}
    assert not runner.may_hold_max(not_from_kafka, TOPIC, {})
    # a file mixing -1 and partition 1 is read for partition 1
    assert runner.may_hold_max(runner.FileBounds(5, -1, 1, 0, 7, TOPIC, exact=True), TOPIC, {1: 3})


def test_dead_letter_files_count_only_for_the_topic_they_hold(runner):
    theirs = runner.FileBounds(3, 0, 0, 50, 60, "stripe.charges", exact=True)
    mixed = runner.FileBounds(3, 0, 0, 10, 20, None, exact=True)
    assert runner.offset_thresholds([theirs, mixed], TOPIC) == {}
    assert not runner.may_hold_max(theirs, TOPIC, {})
    assert runner.may_hold_max(mixed, TOPIC, {})


def test_the_filter_reads_gaps_between_known_partitions_in_full(runner):
    assert runner.offset_filter({}) == "_kafka_partition >= 0"
    assert runner.offset_filter({0: 10, 2: 7}) == (
        "(_kafka_partition = 0 AND _kafka_offset >= 10) OR (_kafka_partition = 2 AND _kafka_offset >= 7)"
        " OR (_kafka_partition >= 1 AND _kafka_partition <= 1) OR _kafka_partition >= 3")


@pytest.fixture
def raw_table(tmp_path):
    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}/wh")
    catalog.create_namespace("raw")
    schema = pa.schema([("object_id", pa.string()), ("_kafka_partition", pa.int32()),
                        ("_kafka_offset", pa.int64())])
    properties = {"format-version": "2", "write.parquet.compression-codec": "zstd"}
    table = catalog.create_table("raw.shopify_orders", schema=schema, properties=properties)

    def append(rows):
        rows = [{"object_id": f"o{p}-{o}", "_kafka_partition": p, "_kafka_offset": o} for p, o in rows]
        table.append(pa.Table.from_pylist(rows, schema=schema))

    return table, append


def pyiceberg_bounds(runner, table, row_filter=None):
    """FileBounds of the files pyiceberg plans (as the runner reads them from the Java API)."""
    schema = table.schema()
    fields = {n: schema.find_field(n) for n in ("_kafka_partition", "_kafka_offset")}
    out = []
    scan = table.scan(row_filter=row_filter) if row_filter is not None else table.scan()
    for task in scan.plan_files():
        f = task.file

        def bound(values, name, f=f):
            raw = (values or {}).get(fields[name].field_id)
            return None if raw is None else from_bytes(fields[name].field_type, raw)

        nulls = f.null_value_counts or {}
        out.append(runner.FileBounds(
            records=f.record_count,
            partition_min=bound(f.lower_bounds, "_kafka_partition"),
            partition_max=bound(f.upper_bounds, "_kafka_partition"),
            offset_min=bound(f.lower_bounds, "_kafka_offset"),
            offset_max=bound(f.upper_bounds, "_kafka_offset"),
            topic=TOPIC,
            exact=not task.delete_files and all(nulls.get(fields[n].field_id) == 0 for n in fields)))
    return out


def test_iceberg_prunes_to_the_files_the_selection_keeps_and_finds_the_same_max(runner, raw_table):
    table, append = raw_table
    for k in range(12):  # a checkpoint's file per partition, then some mixed and non-Kafka files
        for p in range(3):
            append([(p, 100 * k + i) for i in range(10)])
    append([(-1, 10**6), (-1, 10**6 + 1)])
    append([(0, 1105), (2, 40), (-1, 7)])
    # copy-on-write delete: partition 1's newest offsets go; its file is rewritten without them
    table.delete("_kafka_partition = 1 AND _kafka_offset >= 1105")

    files = pyiceberg_bounds(runner, table)
    thresholds = runner.offset_thresholds(files, TOPIC)
    kept = [f for f in files if runner.may_hold_max(f, TOPIC, thresholds)]
    planned = pyiceberg_bounds(runner, table, parse(runner.offset_filter(thresholds)))
    assert sorted(map(repr, planned)) == sorted(map(repr, kept))
    assert len(kept) <= 4 < len(files)

    everything = table.scan().to_arrow().to_pylist()
    expected = true_max([(r["_kafka_partition"], r["_kafka_offset"]) for r in everything])
    assert expected == {0: 1109, 1: 1104, 2: 1109}
    read = table.scan(row_filter=parse(runner.offset_filter(thresholds))).to_arrow().to_pylist()
    assert true_max([(r["_kafka_partition"], r["_kafka_offset"]) for r in read]) == expected
