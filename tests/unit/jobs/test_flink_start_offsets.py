"""The Flink runner's start offsets are read from the few data files that can hold each
partition's highest offset, chosen from the file bounds in the Iceberg manifests
(`OffsetSearch` in jobs/flink/runner.py).

The search must never miss a partition's max: checked on random file layouts (files mixing
partitions, deleted rows, nulls, missing bounds, rows of partition -1 written without Kafka)
against the rows themselves, and on a real Iceberg table where pyiceberg's own metrics evaluator
decides, from the bounds, which files each round's condition opens.
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


def sqlite_read(live_rows):
    """A round's read: MAX(offset) per partition of the rows a condition keeps (evaluated by SQLite)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (_kafka_partition INTEGER, _kafka_offset INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?)", live_rows)

    def read(condition):
        rows = db.execute("SELECT _kafka_partition, MAX(_kafka_offset) FROM t "
                          f"WHERE {condition} GROUP BY _kafka_partition").fetchall()
        return {p: o for p, o in rows if p is not None and p >= 0 and o is not None}

    return read


def search(runner, files, read, **kw):
    s = runner.OffsetSearch(files, TOPIC, **kw)
    while (condition := s.condition()) is not None:
        s.update(read(condition))
    return s


@settings(max_examples=400, deadline=None)
@given(st.lists(data_file, min_size=1, max_size=12), st.integers(1, 4), st.integers(1, 3))
def test_the_search_finds_every_partitions_max_whatever_the_layout(runner, layout, max_rounds, first_files):
    files, live = [], []
    for rows, deleted, with_bounds in layout:
        deleted = (deleted + [False] * len(rows))[:len(rows)]
        files.append(bounds_of(runner, rows, deleted, with_bounds))
        live += [r for r, d in zip(rows, deleted) if not d]
    s = search(runner, files, sqlite_read(live), max_rounds=max_rounds, first_files=first_files)
    assert s.found == true_max(live)
    assert s.rounds <= max_rounds


def checkpoints(k, partitions=3, per_file=10, skew=None):
    """Files as a parallelism-1 Flink job writes them: each checkpoint's file mixes all partitions."""
    skew = skew or {}
    return [[(p, (100 * i + o) * skew.get(p, 1)) for p in range(partitions) for o in range(per_file)]
            for i in range(k)]


def test_files_mixing_partitions_are_read_newest_first_in_one_round(runner):
    layout = checkpoints(50)
    files = [bounds_of(runner, rows, [], True) for rows in layout]
    live = [r for rows in layout for r in rows]
    s = runner.OffsetSearch(files, TOPIC)
    condition = s.condition()
    assert s.files_in_round == 2  # of 50
    s.update(sqlite_read(live)(condition))
    assert s.condition() is None and s.rounds == 1
    assert s.found == {0: 4909, 1: 4909, 2: 4909}


def test_a_partition_idle_for_long_is_found_in_later_rounds(runner):
    layout = checkpoints(40)
    layout += [[(p, 4000 + 100 * i + o) for p in (0, 1) for o in range(10)] for i in range(30)]  # 2 idle
    files = [bounds_of(runner, rows, [], True) for rows in layout]
    live = [r for rows in layout for r in rows]
    s = search(runner, files, sqlite_read(live))
    assert s.found == true_max(live) and s.found[2] == 3909
    assert s.rounds == 2  # the idle partition is looked for only in files whose bounds include it


def test_a_file_with_deleted_rows_gives_no_threshold(runner):
    # offsets 100..120 were written to partition 0, then deleted: the file's bounds still say 100..120
    deleted = runner.FileBounds(21, 0, 0, 100, 120, TOPIC, exact=False)
    older = runner.FileBounds(100, 0, 0, 0, 99, TOPIC, exact=True)
    assert runner.offset_thresholds([deleted, older], TOPIC) == {0: 0}
    rows = [(0, o) for o in range(100)]
    assert search(runner, [deleted, older], sqlite_read(rows)).found == {0: 99}


def test_single_partition_files_give_thresholds_that_resolve_the_first_round(runner):
    files = [runner.FileBounds(10, p, p, 100 * k, 100 * k + 9, TOPIC, exact=True) for k in range(5) for p in (0, 1)]
    assert runner.offset_thresholds(files, TOPIC) == {0: 400, 1: 400}
    s = runner.OffsetSearch(files, TOPIC)
    assert "(_kafka_partition = 0 AND _kafka_offset >= 400)" in s.condition()
    assert s.files_in_round == 2


def test_rows_of_partition_minus_one_are_never_read(runner):
    not_from_kafka = runner.FileBounds(1000, -1, -1, 0, 10**6, TOPIC, exact=True)
    s = runner.OffsetSearch([not_from_kafka], TOPIC)
    assert s.condition() is None and s.found == {}


def test_dead_letter_files_count_only_for_the_topic_they_hold(runner):
    theirs = runner.FileBounds(3, 0, 0, 50, 60, "stripe.charges", exact=True)
    mixed = runner.FileBounds(3, 0, 0, 10, 20, None, exact=True)
    s = runner.OffsetSearch([theirs, mixed], TOPIC)
    assert s.files == [mixed] and s.thresholds == {}


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
    """FileBounds of the files pyiceberg plans (as the runner reads them through the Java API)."""
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


def test_iceberg_opens_only_the_files_the_search_chose_and_the_max_is_exact(runner, raw_table):
    table, append = raw_table
    for rows in checkpoints(12):
        append(rows)
    append([(-1, 10**6), (-1, 10**6 + 1)])  # written without Kafka
    append([(0, 1195), (2, 40), (-1, 7)])
    # copy-on-write delete: partition 1's newest offsets go; their file is rewritten without them
    table.delete("_kafka_partition = 1 AND _kafka_offset >= 1105")

    files = pyiceberg_bounds(runner, table)
    opened = []

    def read(condition):
        planned = pyiceberg_bounds(runner, table, parse(condition))
        assert len(planned) == s.files_in_round  # the search's own count agrees with Iceberg's pruning
        opened.append(len(planned))
        rows = table.scan(row_filter=parse(condition)).to_arrow().to_pylist()
        return true_max([(r["_kafka_partition"], r["_kafka_offset"]) for r in rows])

    s = runner.OffsetSearch(files, TOPIC)
    while (condition := s.condition()) is not None:
        s.update(read(condition))
    everything = table.scan().to_arrow().to_pylist()
    expected = true_max([(r["_kafka_partition"], r["_kafka_offset"]) for r in everything])
    assert expected == {0: 1195, 1: 1104, 2: 1109}
    assert s.found == expected
    assert sum(opened) <= 4 < len(files) == 14, opened
