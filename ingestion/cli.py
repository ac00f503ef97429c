"""`icefloe replay`: re-publish stored raw deliveries from the Iceberg raw tables into Kafka."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

console = Console()
app = typer.Typer(help="Re-publish stored raw deliveries (Iceberg raw.*) into their Kafka topics.")


@app.callback(invoke_without_command=True)
def replay(
    source: list[str] = typer.Option(None, "--source", "-s",
                                     help="shopify_orders, stripe.charges or raw.hubspot_deals; repeat; default all."),
    since: datetime = typer.Option(None, help="Only deliveries received at or after (UTC ISO time)."),
    until: datetime = typer.Option(None, help="Only deliveries received before (UTC ISO time)."),
    delivery_id: list[str] = typer.Option(None, "--delivery-id", help="Only these delivery ids; repeat."),
    limit: int = typer.Option(None, help="At most this many per source."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be published; publish nothing."),
) -> None:
    """Read raw.<source>_<object> (payload, delivery id, topic, received-at) and publish each row to
    <source>.<object> with the original key, bytes and headers plus `replayed_at`. Downstream keeps one
    row per delivery id, so replaying what is already there is harmless."""
    from pyiceberg.catalog import load_catalog
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from icefloe.config import Profile
    from icefloe.ingestion.replay import KafkaSink, replay as run_replay, select_sources
    from icefloe.sources import load_sources

    profile = Profile.load()
    try:
        sources = select_sources(load_sources(), source)
    except KeyError as exc:
        console.print(f"[bold red]error:[/] {exc.args[0]}")
        raise typer.Exit(2) from exc
    try:
        catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    except Exception as exc:  # noqa: BLE001 - any catalog failure gets the same advice
        console.print(f"[bold red]error:[/] cannot reach the Iceberg catalog at {profile.catalog_uri}: {exc} "
                      "(start it with `icefloe local up` or set ICEFLOE_CATALOG_URI)")
        raise typer.Exit(1) from exc
    sink = None if dry_run else KafkaSink(profile.kafka_bootstrap_servers, profile.kafka_security_protocol)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("replaying" if sink else "dry run", total=None)
        report = run_replay(catalog, sources, sink, since, until, delivery_id, limit,
                            on_record=lambda _: progress.advance(task))
    for name, n in report.selected.items():
        console.print(f"  {name:<28} {n:>8} deliveries {'selected' if dry_run else 'published'}")
    if sink is not None:
        failed = sink.close()
        if failed:
            console.print(f"[bold red]{failed} records were not acknowledged by Kafka[/] "
                          f"({profile.kafka_bootstrap_servers}); re-run the same replay, it is idempotent downstream")
            raise typer.Exit(1)
        console.print(f"[green]{sink.acked} records acknowledged by Kafka[/]")
