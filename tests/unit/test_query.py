"""The portable queries: the registry is valid, every file parses in the Trino/Athena dialect, and
each entry declares exactly the tables its SQL reads (the command's skip check relies on it)."""

from __future__ import annotations

from decimal import Decimal
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


# The mart tables do not exist yet (the batch-layer issue builds them): run every query on the
# contract its header documents, in DuckDB after the same transpilation `--engine duckdb` uses.
CONTRACT_DDL = """
CREATE SCHEMA icefloe.staging; CREATE SCHEMA icefloe.raw; CREATE SCHEMA icefloe.marts;
CREATE SCHEMA icefloe.analytics; CREATE SCHEMA icefloe.semantic;
CREATE TABLE icefloe.staging.stg_shopify_orders (order_id VARCHAR, customer_id VARCHAR, is_paid BOOLEAN,
  is_fulfilled BOOLEAN, total_amount DECIMAL(18,2), discount_amount DECIMAL(18,2), order_date DATE);
INSERT INTO icefloe.staging.stg_shopify_orders VALUES
  ('1', 'c1', true, false, 10.00, 0, current_date), ('2', 'c1', false, false, 20.00, 1.00, current_date);
CREATE TABLE icefloe.raw.shopify_orders (object_id VARCHAR, payload VARCHAR, _received_at TIMESTAMPTZ);
INSERT INTO icefloe.raw.shopify_orders VALUES ('1', '{"source_name": "web"}', now()), ('1', '{}', now());
CREATE TABLE icefloe.marts.sales_dashboard_daily (sales_date DATE, channel VARCHAR, orders BIGINT,
  customers BIGINT, gross_revenue DECIMAL(18,2), refunded_amount DECIMAL(18,2), net_revenue DECIMAL(18,2),
  avg_order_value DECIMAL(18,2));
INSERT INTO icefloe.marts.sales_dashboard_daily VALUES
  (current_date, 'web', 3, 2, 300.00, 10.00, 290.00, 100.00), (current_date, 'pos', 1, 1, 100.00, 0, 100.00, 100.00),
  (current_date - 60, 'web', 1, 1, 5.00, 0, 5.00, 5.00);
CREATE TABLE icefloe.marts.customer_360 (entity_id VARCHAR, full_name VARCHAR, email VARCHAR, country VARCHAR,
  lifetime_value DECIMAL(18,2), order_count BIGINT, first_order_at TIMESTAMPTZ, last_order_at TIMESTAMPTZ,
  shopify_customer_id VARCHAR, stripe_customer_id VARCHAR, hubspot_contact_id VARCHAR, lifecycle_stage VARCHAR,
  source_count INTEGER);
INSERT INTO icefloe.marts.customer_360 VALUES
  ('e1', 'Ada L', 'ada@x.org', 'GB', 500.00, 4, now() - INTERVAL 90 DAY, now() - INTERVAL 3 DAY, 's1', 'cus_1',
   'h1', 'customer', 3),
  ('e2', 'Bo M', 'bo@x.org', 'US', 900.00, 0, NULL, NULL, NULL, 'cus_2', NULL, 'lead', 1);
CREATE TABLE icefloe.analytics.payment_metrics (metric_date DATE, payment_method VARCHAR, charges BIGINT,
  charge_amount DECIMAL(18,2), refunds BIGINT, refund_amount DECIMAL(18,2), disputes BIGINT,
  dispute_amount DECIMAL(18,2));
INSERT INTO icefloe.analytics.payment_metrics VALUES
  (DATE '2026-11-02', 'card', 100, 1000.00, 5, 40.00, 1, 10.00),
  (DATE '2026-11-03', 'card', 100, 1000.00, 5, 60.00, 0, 0);
CREATE TABLE icefloe.semantic.entity_index (entity_id VARCHAR, source VARCHAR, source_id VARCHAR,
  match_confidence DECIMAL(5,2));
INSERT INTO icefloe.semantic.entity_index VALUES
  ('e1', 'shopify', 's1', 1.00), ('e1', 'stripe', 'cus_1', 0.95), ('e2', 'stripe', 'cus_2', 0.80),
  ('e3', 'hubspot', 'h9', 1.00);
"""


@pytest.fixture(scope="module")
def contract_engine():
    import duckdb

    from icefloe.query import DuckDBEngine

    engine = DuckDBEngine.__new__(DuckDBEngine)
    engine.con = duckdb.connect()
    engine.con.execute("ATTACH ':memory:' AS icefloe")
    engine.con.execute(CONTRACT_DDL)
    return engine


def test_every_query_runs_on_its_documented_contract(contract_engine) -> None:
    results = {r.spec.name: r for r in run_queries(contract_engine, list(load_queries()))}
    assert not [n for n, r in results.items() if r.skipped]
    sales = results["sales_daily_by_channel"]
    assert [(r[1], r[-1]) for r in sales.rows] == [("web", 75.0), ("pos", 25.0)]  # last 30 days only
    top = results["top_customers_ltv"].rows
    assert [r[0] for r in top] == ["e2", "e1"] and top[1][6] == Decimal("125.00") and top[0][6] is None
    rates = results["refund_dispute_rates"].rows
    assert len(rates) == 1 and rates[0][4:] == (5.0, 5.0, 0.5, 0.5)
    coverage = {r[0]: r for r in results["entity_resolution_coverage"].rows}
    assert coverage["shopify"][3:5] == (1, 100.0)
    assert coverage["stripe"][3:5] == (1, 50.0) and coverage["stripe"][6] == 1
    assert coverage["hubspot"][3] == 0
    assert {r[:3] for r in results["orders_by_channel_raw"].rows} == {("web", 1, 1), ("unknown", 1, 1)}
    assert [r[1:3] for r in results["orders_daily"].rows] == [(2, 1)]
