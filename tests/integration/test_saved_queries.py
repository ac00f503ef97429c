"""Every saved query (sql/queries/queries.yaml) runs on the local stack's Trino, on real Iceberg tables
(REST catalog, S3) created by Trino from the layers' own DDL and filled with the hand-made rows of
tests/query_tables.py, and gives the hand-computed results. DuckDB's Iceberg extension, reading the
same tables after sqlglot's transpilation, must return the same rows.

The tables live in namespaces of their own (`qt_<layer>`), the queries are retargeted to them, so the
pipeline's own raw/staging/marts tables in the session stack are left alone.
"""

from __future__ import annotations

import pytest

from icefloe.query import TRINO_CATALOG, QueryResult, load_queries, retarget

pytestmark = pytest.mark.integration

PREFIX = "qt_"


def _copy(table: str) -> str:
    return PREFIX + table


@pytest.fixture(scope="module")
def trino(stack):
    from icefloe.query import TrinoEngine

    engine = TrinoEngine(stack.settings)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def query_tables(trino) -> dict[str, str]:
    from query_tables import ROWS, create_statements

    for table in ROWS:
        target = f"{TRINO_CATALOG}.{_copy(table)}"
        trino.execute(f"CREATE SCHEMA IF NOT EXISTS {TRINO_CATALOG}.{_copy(table).split('.')[0]}")
        trino.execute(f"DROP TABLE IF EXISTS {target}")
        for stmt in create_statements(table, target, "trino"):
            trino.execute(stmt)
    return {t: _copy(t) for t in ROWS}


def _run(engine, mapping: dict[str, str]) -> list[QueryResult]:
    """Every saved query, its tables renamed to the copies, on `engine` (DuckDB transpiles it)."""
    results = []
    for spec in load_queries():
        columns, rows = engine.execute(retarget(spec.sql, mapping), spec.database)
        results.append(QueryResult(spec, columns, rows))
    return results


def test_the_tables_trino_created_have_exactly_the_layer_ddl_columns(trino, query_tables) -> None:
    from query_tables import columns

    for table, copy in query_tables.items():
        got = [r[0] for r in trino.execute(f"SHOW COLUMNS FROM {TRINO_CATALOG}.{copy}")[1]]
        assert got == [n for n, _ in columns(table, "trino")], table


def test_every_saved_query_runs_on_trino_with_the_hand_computed_result(trino, query_tables) -> None:
    from query_tables import check_results

    results = _run(trino, query_tables)
    assert len(results) == len(load_queries())
    check_results({r.spec.name: r for r in results})


def test_every_saved_query_gives_the_same_rows_on_duckdb(trino, query_tables, stack) -> None:
    from icefloe.query import DuckDBEngine

    duck = DuckDBEngine(stack.settings)
    try:
        on_duckdb = _run(duck, query_tables)
    finally:
        duck.close()
    on_trino = _run(trino, query_tables)
    for t, d in zip(on_trino, on_duckdb, strict=True):
        assert not t.skipped and not d.skipped, t.spec.name
        assert t.columns == d.columns, t.spec.name
        assert [[_norm(v) for v in r] for r in t.rows] == [[_norm(v) for v in r] for r in d.rows], t.spec.name


def _norm(v):
    """Numbers compared by value (the engines type some arithmetic differently: DECIMAL vs DOUBLE)."""
    from decimal import Decimal

    if isinstance(v, (Decimal, float)) and not isinstance(v, bool):
        return round(float(v), 6)
    return v


def test_run_saved_returns_rows_as_dicts_or_names_the_missing_table(stack, trino) -> None:
    from icefloe.query import QueryEngineError, run_saved

    built = "marts.customer_360" in trino.existing_tables({"marts"})
    try:
        rows = run_saved("top_customers_ltv", stack.settings)
    except QueryEngineError as exc:
        assert not built and "marts.customer_360" in str(exc)
    else:
        assert built and all({"entity_id", "lifetime_value", "source_count"} <= set(r) for r in rows)
