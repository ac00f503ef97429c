"""A few hand-made rows for each table the saved queries (sql/queries/) read, and the results the
queries must give on them (computed by hand, not by an engine). Shared by the unit test (DuckDB, in
memory) and the integration test (the local Trino, real Iceberg tables).

The tables are created from the layers' own DDL (`icefloe.query.table_ddl`: the CREATE TABLE the
batch jobs run), so a column a query reads that the mart does not have fails both tests. Raw tables
have no DDL file; `RAW_COLUMNS` are the columns of raw.<source>_<object> the queries read
(sql/00_raw/raw_source.sql writes them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlglot import exp

from icefloe.query import ddl_type, table_ddl

D = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 12, tzinfo=UTC)

RAW_COLUMNS = {"raw.shopify_orders": [("object_id", "VARCHAR"), ("payload", "VARCHAR"),
                                      ("_received_at", "TIMESTAMPTZ")]}

ROWS: dict[str, list[dict[str, Any]]] = {
    "raw.shopify_orders": [
        {"object_id": "1", "payload": '{"source_name": "web"}', "_received_at": AT},
        {"object_id": "1", "payload": '{"source_name": "web"}', "_received_at": AT + timedelta(minutes=1)},
        {"object_id": "2", "payload": "{}", "_received_at": AT},
    ],
    "staging.stg_shopify_orders": [
        {"order_id": "1", "customer_id": "c1", "is_paid": True, "is_fulfilled": False,
         "total_amount": Decimal("10.00"), "discount_amount": Decimal("0.00"), "order_date": D},
        {"order_id": "2", "customer_id": "c1", "is_paid": False, "is_fulfilled": False,
         "total_amount": Decimal("20.00"), "discount_amount": Decimal("1.00"), "order_date": D},
    ],
    "analytics.order_summary": [
        {"order_date": D, "channel": "web", "region": "EU", "order_count": 3, "cancelled_count": 1,
         "paid_order_count": 2, "refunded_order_count": 1, "gross_sales": Decimal("200.00"), "customer_count": 2},
        {"order_date": D, "channel": "web", "region": "US", "order_count": 1, "cancelled_count": 0,
         "paid_order_count": 1, "refunded_order_count": 0, "gross_sales": Decimal("100.00"), "customer_count": 1},
        {"order_date": D, "channel": "pos", "region": "EU", "order_count": 2, "cancelled_count": 0,
         "paid_order_count": 2, "refunded_order_count": 0, "gross_sales": Decimal("100.00"), "customer_count": 2},
        {"order_date": D - timedelta(days=1), "channel": None, "region": "EU", "order_count": 1,
         "cancelled_count": 0, "paid_order_count": 1, "refunded_order_count": 0, "gross_sales": Decimal("50.00"),
         "customer_count": 1},
        # outside the 30 days up to the latest date
        {"order_date": D - timedelta(days=30), "channel": "web", "region": "EU", "order_count": 5,
         "cancelled_count": 0, "paid_order_count": 5, "refunded_order_count": 0, "gross_sales": Decimal("999.00"),
         "customer_count": 5},
    ],
    "marts.sales_dashboard_daily": [
        {"date": D, "order_count": 6, "paid_order_count": 5, "cancelled_count": 1, "gmv": Decimal("400.00"),
         "aov": Decimal("80.00"), "refunded_order_count": 1, "order_refund_rate": Decimal("0.2"),
         "new_customer_count": 2, "payment_count": 4, "payment_amount": Decimal("420.000"),
         "payment_refund_rate": Decimal("0.25"), "dispute_rate": Decimal("0.125")},
        {"date": D - timedelta(days=29), "order_count": 1, "paid_order_count": 1, "cancelled_count": 0,
         "gmv": Decimal("50.00"), "aov": Decimal("50.00"), "refunded_order_count": 0,
         "order_refund_rate": Decimal(0), "new_customer_count": 1, "payment_count": 0,
         "payment_amount": Decimal("0.000"), "payment_refund_rate": None, "dispute_rate": None},
        {"date": D - timedelta(days=30), "order_count": 9, "paid_order_count": 9, "cancelled_count": 0,
         "gmv": Decimal("900.00"), "aov": Decimal("100.00"), "new_customer_count": 9, "payment_count": 0,
         "payment_amount": Decimal("0.000")},
    ],
    "marts.customer_360": [
        {"entity_id": "e1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.org", "country": "GB",
         "lifetime_value": Decimal("500.00"), "order_count": 4, "average_order_value": Decimal("125.00"),
         "last_order_date": D, "payments_amount": Decimal("480.000"), "dispute_count": 1, "source_count": 3,
         "shopify_customer_id": "s1", "stripe_customer_id": "cus_1", "hubspot_contact_id": "h1",
         "lifecycle_stage": "customer"},
        {"entity_id": "e2", "email": "bo@x.org", "country": "US", "lifetime_value": Decimal("900.00"),
         "order_count": 1, "average_order_value": Decimal("900.00"), "last_order_date": D - timedelta(days=3),
         "payments_amount": Decimal("0.000"), "dispute_count": 0, "source_count": 1, "shopify_customer_id": "s2"},
        {"entity_id": "e3", "first_name": "Cy", "email": "cy@x.org", "lifetime_value": Decimal("0.00"),
         "order_count": 0, "payments_amount": Decimal("0.000"), "dispute_count": 0, "source_count": 1,
         "hubspot_contact_id": "h3", "lifecycle_stage": "lead"},
    ],
    "analytics.payment_metrics": [
        {"payment_date": date(2026, 11, 2), "payment_method": "card", "charge_count": 10, "succeeded_count": 8,
         "succeeded_amount": Decimal("800.000"), "refunded_count": 2, "refunded_amount": Decimal("100.000"),
         "disputed_count": 1, "dispute_lost_count": 0},
        {"payment_date": date(2026, 11, 3), "payment_method": "card", "charge_count": 12, "succeeded_count": 12,
         "succeeded_amount": Decimal("1200.000"), "refunded_count": 0, "refunded_amount": Decimal("0.000"),
         "disputed_count": 1, "dispute_lost_count": 1},
        {"payment_date": date(2026, 11, 3), "payment_method": None, "charge_count": 1, "succeeded_count": 0,
         "succeeded_amount": Decimal("0.000"), "refunded_count": 0, "refunded_amount": Decimal("0.000"),
         "disputed_count": 0, "dispute_lost_count": 0},
        {"payment_date": date(2026, 10, 15), "payment_method": "card", "charge_count": 5, "succeeded_count": 5,
         "succeeded_amount": Decimal("500.000"), "refunded_count": 1, "refunded_amount": Decimal("50.000"),
         "disputed_count": 0, "dispute_lost_count": 0},
    ],
    "semantic.entity_index": [
        {"rid": "shopify|s1", "source": "shopify", "source_id": "s1", "entity_id": "e1", "match_confidence": 0.99},
        {"rid": "stripe|cus_1", "source": "stripe", "source_id": "cus_1", "entity_id": "e1", "match_confidence": 0.95},
        {"rid": "hubspot|h1", "source": "hubspot", "source_id": "h1", "entity_id": "e1", "match_confidence": 0.85},
        {"rid": "stripe|cus_2", "source": "stripe", "source_id": "cus_2", "entity_id": "e2", "match_confidence": None},
        {"rid": "shopify|s4", "source": "shopify", "source_id": "s4", "entity_id": "e4", "match_confidence": None},
    ],
}


def columns(table: str, dialect: str) -> list[tuple[str, str]]:
    """(name, type in `dialect`) of the table: the layer DDL, or RAW_COLUMNS for raw tables."""
    if table in RAW_COLUMNS:
        typ = {"trino": {"TIMESTAMPTZ": "timestamp(6) with time zone"}}.get(dialect, {})
        return [(n, typ.get(t, t)) for n, t in RAW_COLUMNS[table]]
    return [(n, ddl_type(t, dialect)) for n, t in table_ddl(table)]


def _literal(value: Any, dialect: str) -> str:
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S')} UTC'" if dialect == "trino" \
            else f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, Decimal):
        return str(value)
    return exp.convert(value).sql(dialect=dialect)


def _quoted(name: str) -> str:
    return f'"{name}"'


def create_statements(table: str, target: str, dialect: str) -> list[str]:
    """CREATE TABLE `target` with `table`'s columns, then one INSERT of ROWS[table] (missing columns NULL)."""
    cols = columns(table, dialect)
    create = f"CREATE TABLE {target} ({', '.join(_quoted(n) + ' ' + t for n, t in cols)})"
    values = ", ".join(
        "(" + ", ".join(f"CAST({_literal(row.get(n), dialect)} AS {t})" for n, t in cols) + ")"
        for row in ROWS[table])
    return [create, f"INSERT INTO {target} VALUES {values}"]


def check_results(results: dict[str, Any]) -> None:
    """Assert every saved query's result on ROWS: the expectations, worked out by hand."""
    def by_name(name: str) -> list[dict[str, Any]]:
        r = results[name]
        assert not r.skipped, f"{name} skipped: {r.missing}"
        return [dict(zip(r.columns, row, strict=True)) for row in r.rows]

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    raw = {(r["channel"], r["deliveries"], r["orders"]) for r in by_name("orders_by_channel_raw")}
    assert raw == {("web", 2, 1), ("unknown", 1, 1)}

    [daily] = by_name("orders_daily")
    assert (daily["order_date"], daily["orders"], daily["paid_orders"], daily["customers"]) == (D, 2, 1, 1)
    assert (num(daily["gmv"]), num(daily["avg_order_value"]), num(daily["discounts"])) == (30.0, 15.0, 1.0)

    sales = [(r["order_date"], r["channel"], r["orders"], r["cancelled"], r["customers"], num(r["gmv"]),
              num(r["aov"]), num(r["gmv_share_pct"])) for r in by_name("sales_daily_by_channel")]
    assert sales == [(D, "web", 4, 1, 3, 300.0, 100.0, 75.0), (D, "pos", 2, 0, 2, 100.0, 50.0, 25.0),
                     (D - timedelta(days=1), "unknown", 1, 0, 1, 50.0, 50.0, 100.0)]

    dash = by_name("sales_dashboard_daily")
    assert [r["date"] for r in dash] == [D, D - timedelta(days=29)]  # 30 days up to the latest
    assert (num(dash[0]["gmv"]), num(dash[0]["order_refund_pct"]), num(dash[0]["payment_refund_pct"]),
            num(dash[0]["dispute_pct"])) == (400.0, 20.0, 25.0, 12.5)
    assert dash[1]["payment_refund_pct"] is None and dash[1]["dispute_pct"] is None

    top = by_name("top_customers_ltv")
    assert [r["entity_id"] for r in top] == ["e2", "e1", "e3"]
    assert [r["name"] for r in top] == [None, "Ada Lovelace", "Cy"]
    assert top[1]["source_count"] == 3 and top[1]["stripe_customer_id"] == "cus_1"
    assert top[0]["days_since_last_order"] - top[1]["days_since_last_order"] == 3
    assert top[2]["days_since_last_order"] is None

    rates = [(r["month"].date() if isinstance(r["month"], datetime) else r["month"], r["payment_method"],
              r["charges"], num(r["charge_amount"]), num(r["refund_rate_pct"]), num(r["refund_amount_pct"]),
              r["disputes"], num(r["dispute_rate_pct"]), r["disputes_lost"])
             for r in by_name("refund_dispute_rates")]
    assert rates == [(date(2026, 11, 1), "card", 20, 2000.0, 10.0, 5.0, 2, 10.0, 1),
                     (date(2026, 11, 1), "unknown", 0, 0.0, None, None, 0, None, 0),
                     (date(2026, 10, 1), "card", 5, 500.0, 20.0, 10.0, 0, 0.0, 0)]

    cov = {r["source"]: r for r in by_name("entity_resolution_coverage")}
    assert {s: (r["records"], r["entities"], r["records_linked_cross_source"], num(r["cross_source_coverage_pct"]))
            for s, r in cov.items()} == {"shopify": (2, 2, 1, 50.0), "stripe": (2, 2, 1, 50.0),
                                         "hubspot": (1, 1, 1, 100.0)}
    assert num(cov["hubspot"]["avg_match_confidence"]) == 0.85 and cov["hubspot"]["low_confidence_links"] == 1
    assert cov["shopify"]["low_confidence_links"] == 0
