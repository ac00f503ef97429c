"""Cross-engine proof: what Flink wrote (raw.shopify_orders) and what Spark wrote
(staging.stg_shopify_orders, merge-on-read with delete files) reads the same in Trino and in
pyiceberg: row counts and content checksums agree, at one pinned snapshot per table.

The checksum is computed independently by each engine: the sum over rows of CRC-32 of the key
columns joined with '|' (Trino's `crc32(to_utf8(...))`, Python's `zlib.crc32`), plus exact sums of
amounts and of timestamps in milliseconds.

Runs against the running local stack (`icefloe local up`, with the ports exported); when the tables
are missing or empty it first produces them the way the thin slice does (API -> Kafka -> Flink ->
Spark), which takes a few minutes.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

import pytest

from icefloe.config import Profile, StackSettings

pytestmark = pytest.mark.integration

ORDERS = 400


@pytest.fixture(scope="module")
def stack_settings(request) -> StackSettings:
    try:  # the lead's session fixture, when it exists
        request.getfixturevalue("stack")
    except pytest.FixtureLookupError:
        pass
    settings = StackSettings()
    from icefloe.local.stack import Stack

    unhealthy = [s.name for s in Stack(settings).status() if not s.healthy]
    if unhealthy:
        pytest.fail(f"local stack services not healthy: {unhealthy}; run `icefloe local up` with this shell's ports")
    return settings


@pytest.fixture(scope="module")
def catalog(stack_settings: StackSettings):
    from pyiceberg.catalog import load_catalog

    return load_catalog("icefloe", **Profile.load(stack_settings).pyiceberg_properties())


@pytest.fixture(scope="module")
def trino(stack_settings: StackSettings):
    from icefloe.query import TrinoEngine

    engine = TrinoEngine(stack_settings)
    yield engine
    engine.close()


def _rows(catalog, name: str) -> int:
    if not catalog.table_exists(name):
        return 0
    snap = catalog.load_table(name).current_snapshot()
    return int(snap.summary.additional_properties.get("total-records", 0)) if snap else 0


@pytest.fixture(scope="module")
def pipeline_tables(stack_settings: StackSettings, catalog) -> None:
    if _rows(catalog, "raw.shopify_orders") and _rows(catalog, "staging.stg_shopify_orders"):
        return
    from icefloe.thin_slice import produce

    produce(ORDERS, stack=stack_settings)


def _ms(ts) -> int:
    return round(ts.timestamp() * 1000) if ts is not None else 0


RAW_TRINO = """
SELECT count(*), count(DISTINCT object_id),
       sum(crc32(to_utf8(object_id || '|' || CAST(_kafka_partition AS varchar) || '|'
                         || CAST(_kafka_offset AS varchar) || '|' || payload))),
       sum(CAST(round(to_unixtime(_received_at) * 1000) AS bigint))
FROM raw.shopify_orders FOR VERSION AS OF {snapshot}
"""

STAGING_TRINO = """
SELECT count(*), count(DISTINCT order_id),
       sum(crc32(to_utf8(order_id || '|' || coalesce(financial_status, '') || '|'
                         || coalesce(fulfillment_status, '') || '|' || CAST(_kafka_offset AS varchar)))),
       sum(total_amount), sum(tax_amount), sum(line_item_count),
       sum(CAST(round(to_unixtime(updated_at) * 1000) AS bigint))
FROM staging.stg_shopify_orders FOR VERSION AS OF {snapshot}
"""


def _pyiceberg(catalog, name: str, columns: tuple[str, ...]):
    table = catalog.load_table(name)
    snapshot = table.current_snapshot().snapshot_id
    rows = table.scan(selected_fields=columns, snapshot_id=snapshot).to_arrow().to_pylist()
    return snapshot, rows


def test_flink_raw_table_reads_the_same_in_trino_and_pyiceberg(pipeline_tables, catalog, trino) -> None:
    snapshot, rows = _pyiceberg(catalog, "raw.shopify_orders",
                                ("object_id", "_kafka_partition", "_kafka_offset", "payload", "_received_at"))
    expected = (
        len(rows),
        len({r["object_id"] for r in rows}),
        sum(zlib.crc32(f"{r['object_id']}|{r['_kafka_partition']}|{r['_kafka_offset']}|{r['payload']}".encode())
            for r in rows),
        sum(_ms(r["_received_at"]) for r in rows),
    )
    _, trino_rows = trino.execute(RAW_TRINO.format(snapshot=snapshot), "raw")
    assert expected[0] > 0
    assert tuple(trino_rows[0]) == expected


def test_spark_staging_table_reads_the_same_in_trino_and_pyiceberg(pipeline_tables, catalog, trino) -> None:
    snapshot, rows = _pyiceberg(catalog, "staging.stg_shopify_orders",
                                ("order_id", "financial_status", "fulfillment_status", "_kafka_offset",
                                 "total_amount", "tax_amount", "line_item_count", "updated_at"))
    expected = (
        len(rows),
        len({r["order_id"] for r in rows}),
        sum(zlib.crc32(f"{r['order_id']}|{r['financial_status'] or ''}|{r['fulfillment_status'] or ''}|"
                       f"{r['_kafka_offset']}".encode()) for r in rows),
        # SQL's sum skips NULLs (orders of other tests may lack a tax line): so does the oracle
        sum((r["total_amount"] for r in rows if r["total_amount"] is not None), Decimal(0)),
        sum((r["tax_amount"] for r in rows if r["tax_amount"] is not None), Decimal(0)),
        sum(r["line_item_count"] for r in rows if r["line_item_count"] is not None),
        sum(_ms(r["updated_at"]) for r in rows),
    )
    _, trino_rows = trino.execute(STAGING_TRINO.format(snapshot=snapshot), "staging")
    assert expected[0] > 0
    assert tuple(trino_rows[0]) == expected


def test_staging_holds_one_row_per_order_the_raw_table_received(pipeline_tables, trino) -> None:
    # an oracle independent of either reader: the relation between the two layers, in one engine
    _, rows = trino.execute("""
        SELECT (SELECT count(DISTINCT object_id) FROM raw.shopify_orders),
               (SELECT count(*) FROM staging.stg_shopify_orders),
               (SELECT count(DISTINCT order_id) FROM staging.stg_shopify_orders)""", "staging")
    distinct_raw, staged, distinct_staged = rows[0]
    assert distinct_raw == staged == distinct_staged > 0
    # a query's `database` is the session's default schema (unqualified names resolve there)
    assert trino.execute("SELECT count(*) FROM stg_shopify_orders", "staging")[1][0][0] == staged


def test_portable_query_runs_on_the_local_trino(pipeline_tables, trino) -> None:
    from icefloe.query import get_query, run_queries

    [result] = run_queries(trino, [get_query("orders_daily")])
    assert not result.skipped
    assert result.columns[:2] == ["order_date", "orders"]
    _, total = trino.execute("SELECT count(*) FROM staging.stg_shopify_orders", "staging")
    # orders_daily shows at most 31 days: its counts never exceed the table's
    assert 0 < sum(r[1] for r in result.rows) <= total[0][0]


def test_every_ready_query_gives_the_same_rows_on_trino_and_duckdb(pipeline_tables, trino, stack_settings) -> None:
    """The portable SQL, run by Trino as written and by DuckDB after sqlglot's transpilation."""
    from icefloe.query import DuckDBEngine, load_queries, run_queries

    duck = DuckDBEngine(stack_settings)
    try:
        on_trino = run_queries(trino, list(load_queries()))
        on_duckdb = run_queries(duck, list(load_queries()))
    finally:
        duck.close()
    compared = 0
    for t, d in zip(on_trino, on_duckdb, strict=True):
        assert t.missing == d.missing, t.spec.name
        if not t.skipped:
            assert (t.columns, t.rows) == (d.columns, d.rows), t.spec.name
            compared += 1
    assert compared >= 2  # orders_daily and orders_by_channel_raw exist as soon as the slice ran
