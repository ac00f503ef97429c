"""The portable queries: the registry is valid, every file parses in the Trino/Athena dialect, and
each entry declares exactly the tables its SQL reads (the command's skip check relies on it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from icefloe.query import QUERIES_DIR, QueryResult, load_queries, run_queries


def _tables_read(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="trino")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.name not in ctes}


def test_every_query_file_is_listed_and_every_entry_has_a_file() -> None:
    listed = {q.file for q in load_queries()}
    on_disk = {p.name for p in QUERIES_DIR.glob("*.sql")}
    assert listed == on_disk


@pytest.mark.parametrize("spec", load_queries(), ids=lambda s: s.name)
def test_query_parses_as_trino_and_athena_sql(spec) -> None:
    for dialect in ("trino", "athena"):
        statements = sqlglot.parse(spec.sql, read=dialect)
        assert len(statements) == 1, f"{spec.file}: one statement per file (Athena named queries hold one)"


@pytest.mark.parametrize("spec", load_queries(), ids=lambda s: s.name)
def test_query_declares_exactly_the_tables_it_reads(spec) -> None:
    assert _tables_read(spec.sql) == set(spec.tables)


def test_there_is_a_query_that_runs_before_the_marts_exist() -> None:
    assert any(all(t.startswith(("raw.", "staging.")) for t in q.tables) for q in load_queries())


@pytest.mark.parametrize("bad, message", [
    ("queries:\n  - {name: a, file: x.sql, description: d, database: raw}\n", "lacks required key 'tables'"),
    ("queries:\n  - {name: A-b, file: x.sql, description: d, database: raw, tables: [raw.t]}\n", "lower-case"),
    ("queries:\n  - {name: a, file: missing.sql, description: d, database: raw, tables: [raw.t]}\n",
     "does not exist"),
    ("queries:\n  - {name: a, file: x.sql, description: d, database: raw, tables: [t]}\n", "<namespace>.<table>"),
    (("queries:\n  - {name: a, file: x.sql, description: d, database: raw, tables: [raw.t]}\n"
      "  - {name: a, file: x.sql, description: d, database: raw, tables: [raw.t]}\n"), "used twice"),
    (f"queries:\n  - {{name: a, file: x.sql, description: {'d' * 1025}, database: raw, tables: [raw.t]}}\n",
     "1024"),
])
def test_a_bad_registry_entry_is_named_with_the_fix(tmp_path: Path, bad: str, message: str) -> None:
    (tmp_path / "x.sql").write_text("SELECT 1")
    registry = tmp_path / "queries.yaml"
    registry.write_text(bad)
    with pytest.raises(ValueError, match=message):
        load_queries.__wrapped__(registry)


class FakeEngine:
    """Stands in for Trino in this unit test only (the integration tests use the real one)."""

    name = "fake"

    def __init__(self, tables: set[str]) -> None:
        self.tables = tables
        self.ran: list[str] = []

    def existing_tables(self, namespaces: set[str]) -> set[str]:
        return {t for t in self.tables if t.split(".")[0] in namespaces}

    def execute(self, sql: str, schema: str):
        self.ran.append(sql)
        return ["n"], [(1,)]

    def close(self) -> None:
        pass


def test_queries_whose_tables_are_missing_are_skipped_not_run() -> None:
    engine = FakeEngine({"staging.stg_shopify_orders"})
    results: list[QueryResult] = run_queries(engine, list(load_queries()))
    ran = {r.spec.name for r in results if not r.skipped}
    assert ran == {q.name for q in load_queries() if q.tables == ("staging.stg_shopify_orders",)}
    assert len(engine.ran) == len(ran)
    skipped = {r.spec.name: r.missing for r in results if r.skipped}
    assert skipped["top_customers_ltv"] == ("marts.customer_360",)


def test_every_column_a_query_reads_is_declared_by_its_tables_ddl() -> None:
    """sqlglot resolves each column against the layers' DDL (sql/0N_*/<table>.sql): a query that
    reads a column the mart does not have fails here, before any engine runs."""
    from query_tables import columns
    from sqlglot.optimizer.qualify import qualify

    for spec in load_queries():
        schema: dict = {}
        for t in spec.tables:
            ns, name = t.split(".")
            schema.setdefault(ns, {})[name] = dict(columns(t, "trino"))
        tree = sqlglot.parse_one(spec.sql, read="trino")
        qualify(tree, schema=schema, dialect="trino", validate_qualify_columns=True)


def test_a_query_reading_a_column_the_mart_lacks_is_caught() -> None:
    from query_tables import columns
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.qualify import qualify

    schema = {"marts": {"customer_360": dict(columns("marts.customer_360", "trino"))}}
    with pytest.raises(OptimizeError):
        qualify(sqlglot.parse_one("SELECT full_name FROM marts.customer_360", read="trino"),
                schema=schema, dialect="trino", validate_qualify_columns=True)


@pytest.fixture(scope="module")
def ddl_engine():
    """DuckDB in memory, with every table the queries read created from its layer DDL and filled with
    the hand-made rows of tests/query_tables.py."""
    import duckdb
    from query_tables import ROWS, create_statements

    from icefloe.query import DuckDBEngine

    engine = DuckDBEngine.__new__(DuckDBEngine)
    engine.con = duckdb.connect()
    engine.con.execute("ATTACH ':memory:' AS icefloe")
    for table in ROWS:
        engine.con.execute(f"CREATE SCHEMA IF NOT EXISTS icefloe.{table.split('.')[0]}")
        for stmt in create_statements(table, f"icefloe.{table}", "duckdb"):
            engine.con.execute(stmt)
    return engine


def test_every_query_reads_a_table_the_fixture_has() -> None:
    from query_tables import ROWS

    assert {t for q in load_queries() for t in q.tables} <= set(ROWS)


def test_every_query_gives_the_hand_computed_result_on_the_layer_ddl(ddl_engine) -> None:
    from query_tables import check_results

    check_results({r.spec.name: r for r in run_queries(ddl_engine, list(load_queries()))})


def test_a_result_wider_than_the_console_leaves_columns_out_and_names_them() -> None:
    from rich.console import Console

    from icefloe.query import get_query, render

    columns = [f"column_{i:02d}" for i in range(16)]
    result = QueryResult(get_query("top_customers_ltv"), columns, [tuple(f"value-{i}" for i in range(16))] * 3)
    narrow = render(result, max_rows=8, width=80)
    shown = [c.header for c in narrow.columns]
    assert 1 <= len(shown) < 16 and shown == columns[: len(shown)]
    assert all(c in narrow.caption for c in columns[len(shown):]) and "icefloe query top_customers_ltv" in narrow.caption
    console = Console(width=80, record=True)
    console.print(narrow)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("value-0" in line and f"value-{len(shown) - 1}" in line for line in lines)  # one row, one line
    assert [c.header for c in render(result, max_rows=8).columns] == columns  # no width: every column
