"""`icefloe demo`: the whole local pipeline, end to end, one visible step at a time.

1. the local stack (PostgreSQL, S3, Kafka, Iceberg REST catalog, Trino, webhook API) comes up;
2. a generated scenario (Shopify, Stripe, HubSpot, with duplicates, late and out-of-order
   deliveries) goes signed through the API into Kafka, forged deliveries are refused, and the
   Flink SQL job writes every topic to its raw Iceberg table (exactly-once checkpoints);
3. the raw tables' row counts;
4. Spark builds staging -> entity resolution -> core -> analytics -> marts incrementally;
5. the marts are checked against the generator's ground truth, and entity resolution scored;
6. a second round of traffic (updates and new objects) flows through incrementally, checked again;
7. the portable queries run on Trino.

`run_thin_slice` (Shopify orders only: API -> Kafka -> Flink -> raw -> Spark -> staging -> pyiceberg)
is the foundation's smaller slice, used by the integration tests.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
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


def deliveries_in_raw(profile: Profile, table: str, delivery_ids: list[str]) -> tuple[int, int]:
    """(rows, distinct delivery ids) of `table` among `delivery_ids`."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.expressions import In

    t = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table(table)
    found = t.scan(row_filter=In("_webhook_id", set(delivery_ids)),
                   selected_fields=("_webhook_id",)).to_arrow().column("_webhook_id").to_pylist()
    return len(found), len(set(found))


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
    total_rows, snapshots = raw_row_count(profile, "raw.shopify_orders")
    raw_rows, distinct = deliveries_in_raw(profile, "raw.shopify_orders", [d.delivery_id for d in deliveries])
    console.print(f"  job {result_line(flink, 'ICEFLOE_FLINK_JOB_ID')} finished in {flink.seconds:.1f}s; "
                  f"raw.shopify_orders now holds {total_rows} rows in {snapshots} snapshot(s) "
                  f"(append-only: every delivery ever accepted); log: {flink.log_file}")
    console.print(f"  this run's {len(deliveries)} deliveries are there as {raw_rows} rows, {distinct} distinct "
                  f"delivery ids (exactly once)")
    if raw_rows != distinct or distinct != len(deliveries):
        raise DemoCheckFailed(f"expected each of the {len(deliveries)} deliveries once in raw.shopify_orders; "
                              f"found {raw_rows} rows for {distinct} of them (log: {flink.log_file})")

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


@dataclass
class PipelineResult:
    accepted: int = 0
    raw_rows: int = 0
    staged_rows: int = 0
    days_checked: int = 0
    er: dict = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


FORGERIES = ("shopify", "stripe", "hubspot")


def _forged_deliveries(url: str):
    """One delivery per provider signed with the wrong secret: the API must refuse each with 401."""
    from icefloe.datagen.webhooks import hubspot_delivery, shopify_delivery, stripe_delivery

    wrong = "not-the-configured-secret"
    return [shopify_delivery("orders/create", {"id": 1, "email": "mallory@example.com"}, wrong),
            stripe_delivery("charge.succeeded", {"id": "ch_forged", "object": "charge"}, wrong),
            hubspot_delivery([{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 1}], wrong,
                             base_url=url)]


def _raw_counts(profile: Profile) -> list[tuple[str, int]]:
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError

    from icefloe.sources import load_sources

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    out = []
    for table in [s.raw_table for s in load_sources().sources] + ["raw.dead_letters"]:
        try:
            snap = catalog.load_table(table).current_snapshot()
        except NoSuchTableError:
            snap = None
        out.append((table, int(snap.summary.get("total-records", 0)) if snap else 0))
    return out


def _ingest(console: Console, stack: StackSettings, profile: Profile, events, label: str) -> tuple[int, float]:
    """Send `events` signed through the API, then the bounded Flink job over every topic."""
    from icefloe.datagen.settings import DatagenSettings
    from icefloe.datagen.traffic import send
    from icefloe.jobs import result_line, run_flink

    settings = DatagenSettings.load()
    t0 = time.monotonic()
    summary = send(events, profile.ingestion_url, {p: settings.secret(p) for p in ("shopify", "stripe", "hubspot")})
    console.print(f"  {label}: {summary['accepted']:,} of {summary['sent']:,} HTTP deliveries accepted "
                  f"({', '.join(f'{k} {v:,}' for k, v in sorted(summary['by_provider'].items()))}) "
                  f"in {summary['elapsed_s']:.1f}s, p50 {summary['latency_ms_p50']:.0f} ms; "
                  f"202 = acknowledged by Kafka with acks=all")
    if summary["accepted"] != summary["sent"]:
        raise DemoCheckFailed(f"the API refused or lost deliveries: {summary}; see `icefloe local logs api`")
    console.print("  Flink SQL job over all 13 topics (bounded: up to the current offsets, commit on checkpoint, stop)")
    flink = run_flink(["--sources", "all", "--bounded", "--checkpoint-interval", "5s"], stack)
    console.print(f"  job {result_line(flink, 'ICEFLOE_FLINK_JOB_ID')} finished in {flink.seconds:.1f}s; "
                  f"log: {flink.log_file}")
    return summary["accepted"], time.monotonic() - t0


def _batch(console: Console, stack: StackSettings, label: str):
    from icefloe.pipeline import run_batch

    console.print(f"  {label}: one Spark driver runs staging -> entity resolution -> core -> analytics -> marts")
    result = run_batch(stack, progress=lambda step, m: console.print(f"    [cyan]{step:<18}[/] {m}"))
    table = Table(title=f"batch ({result.mode}) in {result.seconds:.0f}s on {result.driver} "
                        f"(Spark start-up {result.startup_seconds:.0f}s)", title_justify="left")
    for col in ("step", "tables", "rows", "seconds"):
        table.add_column(col, justify="right" if col in ("rows", "seconds", "tables") else "left")
    for s in result.steps:
        table.add_row(s.name, str(len(s.tables)), f"{s.rows:,}", f"{s.seconds:.1f}")
    console.print(table)
    return result


def _check_marts(console: Console, profile: Profile, expected: dict) -> int:
    from pyiceberg.catalog import load_catalog
    from pyiceberg.expressions import In

    from icefloe.datagen.traffic import daily_mismatches

    t = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table("marts.sales_dashboard_daily")
    got = {r["date"]: r for r in t.scan(row_filter=In("date", set(expected))).to_arrow().to_pylist()}
    problems = daily_mismatches(got, expected)
    if problems:
        raise DemoCheckFailed("marts.sales_dashboard_daily differs from the generator's ground truth:\n  "
                              + "\n  ".join(problems[:20]))
    orders = sum(e["order_count"] for e in expected.values())
    gmv = sum((e["gmv"] for e in expected.values()), Decimal(0))
    payments = sum(e["payment_count"] for e in expected.values())
    console.print(f"  [green]OK[/]: marts.sales_dashboard_daily equals the ground truth on {len(expected)} day(s): "
                  f"{orders:,} orders, GMV {gmv:,} USD, {payments:,} succeeded payments, refund and dispute rates "
                  f"(oracle: Python over the generated bodies, no shared code with the jobs)")
    return len(expected)


def _check_entities(console: Console, profile: Profile, truth: list[dict], when: str) -> dict:
    from pyiceberg.catalog import load_catalog

    from icefloe.er_truth import linkable_groups, score, staging_records

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    rows = catalog.load_table("semantic.entity_index").scan(
        selected_fields=("source", "source_id", "entity_id")).to_arrow().to_pylist()
    assigned = {f"{r['source']}|{r['source_id']}": r["entity_id"] for r in rows}
    people = {f"{t['source']}|{t['id']}": t["person_id"] for t in truth if t.get("person_id")}
    # the true pairs that share identifying evidence (a mailbox or phone of their own, or a name at one
    # street address); the others share a name or nothing, as namesakes and relatives do
    groups, _ = linkable_groups(staging_records(catalog), people)
    s = score(assigned, people, groups)
    q = {"records": s.records, "precision": s.precision, "recall": s.recall, "f1": s.f1, "entities": s.entities,
         "people": s.people, "recall_linkable": s.recall_linkable, "assigned": assigned}
    console.print(f"  entity resolution {when}: {q['records']:,} person records across Shopify, Stripe and HubSpot -> "
                  f"{q['entities']:,} entities (ground truth: {q['people']:,} people); pairwise precision "
                  f"{q['precision']:.3f}, recall {q['recall']:.3f}, F1 {q['f1']:.3f}; recall "
                  f"{s.recall_linkable:.3f} over the {s.linkable_pairs:,} true pairs with identifying "
                  f"evidence in common (a mailbox or phone of their own, or a name at one address; the others share "
                  f"a name or nothing, as namesakes do)")
    return q


def _check_stable_ids(console: Console, profile: Profile, before: dict[str, str], after: dict[str, str]) -> None:
    """How many records resolved in round 1 kept their entity id in round 2, and whether every id that
    changed is recorded as an alias of the entity that absorbed it (a merge) rather than lost."""
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    aliases = {(r["alias_id"], r["entity_id"]) for r in catalog.load_table("semantic.entity_aliases").scan(
        selected_fields=("alias_id", "entity_id")).to_arrow().to_pylist()}
    moved = {rid: (e, after.get(rid)) for rid, e in before.items() if after.get(rid) != e}
    merged = sum(1 for old, new in moved.values() if (old, new) in aliases)
    console.print(f"  entity ids: {len(before) - len(moved):,} of the {len(before):,} records in semantic.entity_index "
                  f"before round 2 kept theirs; {merged:,} moved into an entity that absorbed theirs "
                  f"(old id kept in semantic.entity_aliases), {len(moved) - merged:,} re-clustered otherwise")


def _show_queries(console: Console, stack: StackSettings, names: tuple[str, ...]) -> None:
    from icefloe.query import QueryEngineError, print_saved

    try:
        print_saved(list(names), stack, console, max_rows=8, engine="trino")
        engine = "Trino"
    except QueryEngineError as exc:  # e.g. no Java 24+ for Trino here: the same SQL on DuckDB
        console.print(f"  [yellow]Trino unavailable ({exc}); the same SQL on DuckDB instead[/]")
        print_saved(list(names), stack, console, max_rows=8, engine="duckdb")
        engine = "DuckDB"
    console.print(f"  ({engine}; the same files are Athena named queries in AWS: sql/queries/queries.yaml)")


def _next_run_number(stack: StackSettings) -> int:
    marker = stack.state_dir / "demo-runs"
    n = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(n + 1))
    return n


def run_pipeline(console: Console, stack: StackSettings, scale: float = 0.02, seed: int = 7,
                 hours: float = 30.0) -> PipelineResult:
    """Steps 2-7 of the demo: generated traffic for all three providers through the whole pipeline,
    in two rounds (the second incremental), checked against the generator's ground truth."""
    from icefloe.datagen.traffic import expected_daily, generate

    profile = Profile.load(stack)
    out = PipelineResult()

    t0 = _step(console, 2, "Generated webhook traffic (Shopify, Stripe, HubSpot) -> signed -> API -> Kafka")
    # Each run of the demo on the same stack gets its own days and people, so its checks stay exact
    # while earlier runs' data stays in the tables.
    run_no = _next_run_number(stack)
    start = datetime(2026, 11, 2, tzinfo=timezone.utc) + timedelta(days=3 * run_no)
    traffic = generate(scale=scale, seed=seed + run_no, start=start, hours=hours)
    if run_no:
        console.print(f"  demo run {run_no + 1} on this stack: traffic from {start:%Y-%m-%d} on (earlier runs' data stays)")
    round1, round2 = traffic.rounds(0.7)
    by_provider = Counter(ev.provider for ev in traffic.events)
    faults = Counter(ev.fault for ev in traffic.events if ev.fault)
    console.print(f"  datagen: {len(traffic.events):,} events over {hours:.0f} h of shop time "
                  f"({', '.join(f'{k} {v:,}' for k, v in sorted(by_provider.items()))}), "
                  f"{len(traffic.people):,} people behind them, faults as providers really deliver: "
                  f"{', '.join(f'{v} {k}' for k, v in sorted(faults.items())) or 'none'}")
    console.print(f"  round 1 = the first {len(round1):,} events; round 2 (step 6) = the remaining {len(round2):,}")
    import httpx

    refused = [httpx.post(profile.ingestion_url + d.path, content=d.body, headers=d.headers).status_code
               for d in _forged_deliveries(profile.ingestion_url)]
    console.print(f"  forged deliveries (wrong secret) for {', '.join(FORGERIES)}: HTTP {refused}")
    if refused != [401, 401, 401]:
        raise DemoCheckFailed(f"forged deliveries must be refused with 401, got {refused}")
    accepted, seconds = _ingest(console, stack, profile, round1, "round 1")
    out.accepted += accepted
    out.seconds["ingest_1"] = seconds

    _step(console, 3, "Iceberg raw layer: one table per topic, payload kept whole, exactly once")
    counts = _raw_counts(profile)
    table = Table(title="raw.* (append-only: every delivery ever accepted)", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts:
        table.add_row(name, f"{n:,}")
    console.print(table)
    out.raw_rows = sum(n for name, n in counts if name != "raw.dead_letters")

    t0 = _step(console, 4, "Spark batch layers (local mode), incremental: watermarks + MERGE INTO")
    first = _batch(console, stack, "round 1")
    out.staged_rows = first.step("staging").rows
    out.seconds["batch_1"] = first.seconds

    _step(console, 5, "Checked against the generator's ground truth")
    out.days_checked = _check_marts(console, profile, expected_daily(round1))
    out.er = _check_entities(console, profile, traffic.truth, "after round 1")

    t0 = _step(console, 6, "Round 2: updates (paid, fulfilled, refunded, disputed) and new objects, incrementally")
    accepted, seconds = _ingest(console, stack, profile, round2, "round 2")
    out.accepted += accepted
    second = _batch(console, stack, "round 2")
    read = sum(r.get("rows_read", 0) for r in second.step("staging").tables.values())
    console.print(f"  staging read {read:,} new raw rows (snapshot ranges since the watermarks), not the whole history")
    out.days_checked = _check_marts(console, profile, expected_daily(traffic.events))  # the last check covers every day
    before = out.er
    out.er = _check_entities(console, profile, traffic.truth, "after round 2 (incremental)")
    _check_stable_ids(console, profile, before["assigned"], out.er["assigned"])
    out.seconds["round_2"] = time.monotonic() - t0

    _step(console, 7, "Query the marts (Trino locally, Athena on AWS: the same SQL)")
    _show_queries(console, stack, ("sales_dashboard_daily", "top_customers_ltv"))
    return out


def run_demo(console: Console, keep_running: bool = True) -> PipelineResult:
    from icefloe.local.bootstrap import bootstrap
    from icefloe.local.stack import Stack

    console.print(Panel.fit(
        "[bold]icefloe[/] demo: signed webhooks -> API -> Kafka -> Flink SQL -> Iceberg raw -> Spark staging -> "
        "entity resolution -> core -> analytics -> marts -> Trino\n"
        "everything runs as native processes on this machine; nothing leaves it",
        border_style="cyan"))
    t_all = _step(console, 1, "Local stack: PostgreSQL, S3 (versitygw), Kafka (KRaft), Iceberg REST catalog, "
                              "Trino, webhook API")
    stack = Stack(StackSettings())
    timings = stack.up(progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    bootstrap(stack.settings, progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    console.print(f"  stack healthy in {sum(timings.values()):.1f}s; state and logs under {stack.settings.state_dir}")
    result = run_pipeline(console, stack.settings)

    console.print()
    console.print(Panel.fit(
        f"[green]pipeline OK[/] in {time.monotonic() - t_all:.0f}s: {result.accepted:,} webhooks accepted -> "
        f"{result.raw_rows:,} raw rows (all runs) -> staging, entities, core, analytics, marts; "
        f"marts equal the ground truth on {result.days_checked} day(s); entity resolution F1 "
        f"{result.er.get('f1', 0):.3f}\n"
        f"logs: {stack.settings.logs_dir}   profile: {stack.settings.profile_env}\n"
        "next: `icefloe query --all`, `icefloe local status`, `icefloe flink start` (streaming), "
        "`make down` to stop everything",
        border_style="green"))
    if not keep_running:
        stack.down(progress=lambda s, m: console.print(f"  [cyan]{s:<9}[/] {m}"))
    return result
