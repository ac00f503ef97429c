"""`icefloe demo`: the whole local pipeline, end to end, one visible step at a time.

1. the local stack (PostgreSQL, S3, Kafka, Iceberg REST catalog, webhook API) comes up;
2. signed Shopify webhooks (creates, then updates of some orders) go through the API into Kafka,
   plus one forged delivery that the API must refuse;
3. the Flink SQL job (PyFlink mini-cluster, checkpoints on) writes them to `raw.shopify_orders`;
4. the Spark job MERGEs the new raw rows into `staging.stg_shopify_orders`;
5. a second engine (pyiceberg) reads staging back and checks it against what was sent.

Every step prints what it produced; a mismatch in step 5 fails the demo.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from icefloe.config import Profile, StackSettings
from icefloe.local.errors import StackError


class DemoCheckFailed(StackError):
    pass


@dataclass
class SliceResult:
    sent: int
    accepted: int
    raw_rows: int
    staging_rows: int
    expected_orders: int
    flink_seconds: float
    spark_seconds: float


def _step(console: Console, n: int, title: str) -> float:
    console.print()
    console.rule(f"[bold]Step {n}[/]  {title}", align="left")
    return time.monotonic()


def make_deliveries(count: int, updates: int, seed: int, secret: str):
    """`count` orders/create plus `updates` orders/updated (fulfilled) for the first orders."""
    from icefloe.datagen import shopify
    from icefloe.datagen.webhooks import shopify_delivery

    orders = shopify.orders(count, seed=seed)
    later = datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(days=20)
    updated = [shopify.fulfilled(o, later.timestamp()) for o in orders[:updates]]
    deliveries = [shopify_delivery("orders/create", o, secret) for o in orders]
    deliveries += [shopify_delivery("orders/updated", o, secret) for o in updated]
    latest = {str(o["id"]): o for o in orders}
    latest.update({str(o["id"]): o for o in updated})
    return deliveries, latest


def send_with_progress(console: Console, url: str, deliveries) -> tuple[int, dict[int, int]]:
    from icefloe.datagen.webhooks import send

    with Progress(TextColumn("  sending"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("send", total=len(deliveries))
        report = send(url, deliveries, on_progress=lambda r: bar.update(task, completed=r.sent))
    return report.accepted, report.rejected


def check_staging(profile: Profile, latest: dict[str, dict]) -> tuple[int, list[dict]]:
    """Compare staging with the latest version of every order sent; raise on any difference."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.expressions import In

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    table = catalog.load_table("staging.stg_shopify_orders")
    rows = table.scan(row_filter=In("order_id", set(latest))).to_arrow().to_pylist()
    by_id = {r["order_id"]: r for r in rows}
    problems = []
    if len(rows) != len(by_id):
        problems.append(f"{len(rows) - len(by_id)} duplicate order ids in staging")
    missing = set(latest) - set(by_id)
    if missing:
        problems.append(f"{len(missing)} orders missing from staging, e.g. {sorted(missing)[:3]}")
    for oid, order in latest.items():
        row = by_id.get(oid)
        if row is None:
            continue
        if row["total_amount"] != Decimal(order["total_price"]):
            problems.append(f"order {oid}: total {row['total_amount']} != sent {order['total_price']}")
        if row["fulfillment_status"] != order["fulfillment_status"]:
            problems.append(f"order {oid}: fulfillment {row['fulfillment_status']} != sent {order['fulfillment_status']}")
        if row["email"] != order["email"]:
            problems.append(f"order {oid}: email differs")
    if problems:
        raise DemoCheckFailed("staging does not match what was sent:\n  " + "\n  ".join(problems[:10]))
    return len(rows), sorted(rows, key=lambda r: r["order_number"])


def raw_row_count(profile: Profile, table: str) -> tuple[int, int]:
    from pyiceberg.catalog import load_catalog

    t = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table(table)
    snap = t.current_snapshot()
    total = int(snap.summary.get("total-records", 0)) if snap else 0
    return total, len(t.snapshots())


def run_thin_slice(console: Console, stack: StackSettings, orders: int = 200, updates: int = 50,
                   seed: int = 7) -> SliceResult:
    """Steps 2-5; assumes the stack is up. Returns the figures (used by the integration test)."""
    from icefloe.jobs import result_line, run_flink, run_spark

    profile = Profile.load(stack)
    secret = _shopify_secret(stack)

    t0 = _step(console, 2, "Signed Shopify webhooks -> ingestion API -> Kafka topic shopify.orders")
    deliveries, latest = make_deliveries(orders, updates, seed, secret)
    accepted, rejected = send_with_progress(console, profile.ingestion_url, deliveries)
    forged = deliveries[0].__class__(deliveries[0].path, deliveries[0].body.replace(b'"email"', b'"e_mail"'),
                                     deliveries[0].headers, "forged")
    _, forged_rejected = send_with_progress(console, profile.ingestion_url, [forged])
    console.print(f"  {accepted} of {len(deliveries)} deliveries accepted (HTTP 202, acknowledged by Kafka with acks=all): "
                  f"{orders} orders/create + {updates} orders/updated")
    console.print(f"  a forged delivery (body changed after signing) was refused: HTTP {list(forged_rejected)}")
    if accepted != len(deliveries) or forged_rejected.get(401) != 1:
        raise DemoCheckFailed(f"expected all {len(deliveries)} accepted and the forgery refused with 401; "
                              f"got accepted={accepted} rejected={rejected} forged={forged_rejected}")
    console.print(f"  [dim]{time.monotonic() - t0:.1f}s[/]")

    t0 = _step(console, 3, "Flink SQL (PyFlink mini-cluster, exactly-once checkpoints) -> raw.shopify_orders")
    console.print("  starting the job; it reads up to the latest Kafka offsets, commits on checkpoint, then stops "
                  "(about 20-40 s: JVM start-up and the first checkpoint)")
    flink = run_flink(["--sources", "shopify_orders", "--bounded", "--checkpoint-interval", "5s"], stack)
    raw_rows, snapshots = raw_row_count(profile, "raw.shopify_orders")
    console.print(f"  job {result_line(flink, 'ICEFLOE_FLINK_JOB_ID')} finished in {flink.seconds:.1f}s; "
                  f"raw.shopify_orders now holds {raw_rows} rows in {snapshots} snapshot(s) "
                  f"(append-only: every delivery ever accepted); log: {flink.log_file}")

    t0 = _step(console, 4, "Spark (local mode) -> staging.stg_shopify_orders, incremental MERGE INTO")
    console.print("  reading raw by Iceberg snapshot range since the last watermark, latest version per order wins")
    spark = run_spark("staging", ["--table", "shopify_orders", "--mode", "incremental"], stack)
    result = json.loads(result_line(spark, "ICEFLOE_RESULT") or "{}")
    console.print(f"  {result.get('rows_read', 0)} new raw rows -> {result.get('rows_merged', 0)} orders merged "
                  f"in {spark.seconds:.1f}s; watermark -> snapshot {result.get('snapshot')}; log: {spark.log_file}")

    t0 = _step(console, 5, "Second engine (pyiceberg) reads staging back and checks it against what was sent")
    staged, rows = check_staging(profile, latest)
    fulfilled = sum(1 for r in rows if r["is_fulfilled"])
    gmv = sum((r["total_amount"] for r in rows), Decimal(0))
    table = Table(title="staging.stg_shopify_orders (first 5 of this run's orders)")
    for col in ("order_id", "order_number", "email", "total_amount", "financial_status", "fulfillment_status", "_raw_id"):
        table.add_column(col)
    for r in rows[:5]:
        table.add_row(r["order_id"], str(r["order_number"]), r["email"], str(r["total_amount"]),
                      r["financial_status"], str(r["fulfillment_status"]), r["_raw_id"])
    console.print(table)
    console.print(f"  [green]OK[/]: {staged} orders, one row each, every total and status equal to the latest version "
                  f"sent ({fulfilled} fulfilled by an update); GMV {gmv} USD")
    return SliceResult(len(deliveries), accepted, raw_rows, staged, len(latest), flink.seconds, spark.seconds)


def _shopify_secret(stack: StackSettings) -> str:
    from icefloe.ingestion.settings import IngestionSettings

    settings = IngestionSettings.load()
    secrets = settings.secrets(settings.shopify_webhook_secret)
    if not secrets:
        raise StackError("no Shopify secret in the profile; run `icefloe local up` first")
    return secrets[0].decode()


def run_demo(console: Console, keep_running: bool = True) -> SliceResult:
    from icefloe.local.bootstrap import bootstrap
    from icefloe.local.stack import Stack

    console.print(Panel.fit(
        "[bold]icefloe[/] demo: webhooks -> Kafka -> Flink -> Iceberg raw -> Spark -> Iceberg staging -> read back\n"
        "everything runs as native processes on this machine; nothing leaves it",
        border_style="cyan"))
    t_all = _step(console, 1, "Local stack: PostgreSQL, S3 (versitygw), Kafka (KRaft), Iceberg REST catalog, webhook API")
    stack = Stack(StackSettings())
    timings = stack.up(progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    bootstrap(stack.settings, progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    console.print(f"  stack healthy in {sum(timings.values()):.1f}s; state and logs under {stack.settings.state_dir}")
    result = run_thin_slice(console, stack.settings)

    console.print()
    console.print(Panel.fit(
        f"[green]pipeline OK[/] in {time.monotonic() - t_all:.0f}s: {result.accepted} webhooks -> "
        f"{result.raw_rows} raw rows (all runs) -> {result.staging_rows} staged orders, checked by a second engine\n"
        f"logs: {stack.settings.logs_dir}   profile: {stack.settings.profile_env}\n"
        "next: `icefloe local status`, `icefloe local logs kafka`, `make down` to stop everything",
        border_style="green"))
    if not keep_running:
        stack.down(progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    return result
