"""`icefloe datagen` and `icefloe simulate`: registered on the main CLI by `register(app)`.

Heavy imports (Faker, the generators, aiohttp) happen inside the commands, so `icefloe --help`
stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()


def datagen(
    scenario: str = typer.Option(
        "normal_day", help="normal_day | flash_sale | fraud_attack | promotion_blast"
    ),
    scale: float = typer.Option(1.0, help="Traffic and population multiplier (1 = about 100k events a day)."),
    seed: int = typer.Option(7, help="Same seed, same scenario and scale: byte-identical output."),
    out: Path = typer.Option(Path("./out"), help="Output directory (JSON lines per topic + ground truth)."),
    duplicate_rate: float = typer.Option(0.01, help="Fraction of deliveries sent twice."),
    out_of_order_rate: float = typer.Option(0.02, help="Fraction held back so later changes overtake them."),
    late_rate: float = typer.Option(0.005, help="Fraction delivered minutes to hours late."),
) -> None:
    """Generate a scenario's webhook traffic to files, with ground truth for entity resolution."""
    from icefloe.datagen.output import write_run
    from icefloe.datagen.scenarios import SCENARIOS, FaultConfig, Generator

    try:
        faults = FaultConfig(duplicate_rate, out_of_order_rate, late_rate)
        gen = Generator(scenario, scale, seed, faults)
    except ValueError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"[bold]{scenario}[/]: {SCENARIOS[scenario].description} (scale {scale}, seed {seed})")
    with Progress(
        TextColumn("[cyan]generating"),
        BarColumn(),
        TextColumn("{task.completed:,} events"),
        TextColumn("[dim]{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("gen", total=None, rate="")

        def tick(n: int) -> None:
            progress.advance(task, n)
            elapsed = progress.tasks[0].elapsed or 0
            if elapsed:
                progress.update(task, rate=f"{progress.tasks[0].completed / elapsed:,.0f}/s")

        manifest = write_run(gen, out, on_event=tick)
    console.print(
        f"[green]{manifest['events']:,} events[/] in {manifest['wall_s']}s "
        f"({manifest['events'] / max(manifest['cpu_s'], 1e-9):,.0f} events per CPU second) -> {out}"
    )
    for topic, n in manifest["per_topic"].items():
        console.print(f"  {topic:<24} {n:>10,}")
    console.print(f"  faults: {manifest['fault_counts']}; ground truth: {out / 'ground_truth'}")


def simulate(
    rate: float = typer.Option(500.0, help="Target deliveries per second."),
    duration: float = typer.Option(60.0, help="Seconds to run."),
    target: str = typer.Option(None, help="Ingestion API base URL (default: ICEFLOE_INGESTION_URL)."),
    providers: str = typer.Option("shopify,stripe,hubspot", help="Comma-separated providers to send."),
    scenario: str = typer.Option("normal_day", help="Scenario whose traffic is replayed."),
    scale: float = typer.Option(1.0),
    seed: int = typer.Option(7),
    concurrency: int = typer.Option(64, help="Requests in flight at most (all processes together)."),
    processes: int = typer.Option(1, help="Sender processes, each with its share of the rate (2 saturate "
                                  "the local API on 2 cores)."),
    max_retries: int = typer.Option(4, help="Retries of a 429/503 (or refused connection) per delivery."),
    max_deliveries: int = typer.Option(None, help="Stop after this many deliveries."),
) -> None:
    """Sign generated deliveries with each provider's scheme and POST them at a target rate."""
    from icefloe.datagen import simulator
    from icefloe.datagen.settings import DatagenSettings
    from icefloe.datagen.simulator import Simulator, SimulatorConfig

    settings = DatagenSettings.load()
    try:
        cfg = SimulatorConfig(
            target=target or settings.ingestion_url,
            rate=rate,
            duration_s=duration,
            max_deliveries=max_deliveries,
            concurrency=concurrency,
            processes=processes,
            providers=tuple(p.strip() for p in providers.split(",") if p.strip()),
            max_retries=max_retries,
            scenario=scenario,
            scale=scale,
            seed=seed,
        )
        secrets = {p: settings.secret(p) for p in cfg.providers}
        Simulator(cfg, secrets, source=iter(()))  # checks the secrets and the target
    except ValueError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    total = min(max_deliveries or int(rate * duration), int(rate * duration))
    console.print(f"sending to {cfg.target} at {rate:g}/s for {duration:g}s ({', '.join(cfg.providers)}; "
                  f"{processes} process(es)); preparing the first requests before the clock starts ...")
    with Progress(
        TextColumn("[cyan]delivering"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("sim", total=total, stats="")

        def tick(rep) -> None:
            progress.update(
                task,
                completed=rep.sent,
                stats=f"accepted {rep.accepted:,} rejected "
                f"{sum(rep.rejected.values()):,} retried {rep.retried:,} ({rep.rate:,.0f}/s)",
            )

        report = simulator.run(cfg, secrets, tick)
    summary = report.summary()
    console.print_json(json.dumps(summary))
    if summary["sent"] and summary["accepted"] == 0:
        console.print(
            f"[bold red]nothing accepted[/]: is the API up at {cfg.target} (`icefloe local up`) and "
            "are the secrets the same as the API's?"
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `datagen` and `simulate` to the main `icefloe` CLI."""
    app.command("datagen")(datagen)
    app.command("simulate")(simulate)
