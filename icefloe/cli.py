"""The `icefloe` command line.

    icefloe local fetch|up|down|status|logs <service>|reset   the native local stack
    icefloe demo                                              the pipeline end to end, step by step
    icefloe flink run / icefloe spark run                     the jobs, in their own virtualenvs
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from icefloe.config import StackSettings

# wide enough for the tables when output goes to a file or CI log (no terminal to measure)
console = Console(width=None if sys.stdout.isatty() else 150)
app = typer.Typer(add_completion=False, no_args_is_help=True, help="icefloe: a webhook lakehouse you can run on one machine.")
local_app = typer.Typer(no_args_is_help=True, help="The local stack: native processes, no Docker.")
app.add_typer(local_app, name="local")
flink_app = typer.Typer(no_args_is_help=True, help="The raw-layer streaming job (Flink SQL, PyFlink mini-cluster).")
app.add_typer(flink_app, name="flink")
spark_app = typer.Typer(no_args_is_help=True, help="The batch jobs (PySpark, local mode).")
app.add_typer(spark_app, name="spark")
__import__("icefloe.datagen.cli").datagen.cli.register(app)  # icefloe datagen / simulate
app.add_typer(__import__("icefloe.ingestion.cli", fromlist=["app"]).app, name="replay")
app.add_typer(__import__("icefloe.resolve").resolve.app, name="resolve")  # light: duckdb loads on use
app.add_typer(__import__("icefloe.query").query.app, name="query")
app.add_typer(__import__("icefloe.pipeline").pipeline.app, name="batch")  # icefloe batch run
app.add_typer(__import__("icefloe.emr").emr.app, name="emr")  # icefloe emr package/upload


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True, width=None if sys.stderr.isatty() else 150),
                              show_path=False, show_time=False)],
    )
    for noisy in ("botocore", "urllib3", "pyiceberg", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    _setup_logging(verbose)


def _progress(service: str, message: str) -> None:
    console.print(f"  [bold cyan]{service:<9}[/] {message}")


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(1)


def _stack():
    from icefloe.local.stack import Stack

    return Stack(StackSettings())


@local_app.command("fetch")
def local_fetch(services: list[str] = typer.Argument(None, help="Only these services.")) -> None:
    """Fetch and build every artifact of the stack into the cache (idempotent)."""
    from icefloe.local.errors import StackError

    from icefloe.jobs import flink_jars, spark_jars

    try:
        stack = _stack()
        stack.fetch(services, progress=_progress)
        if not services:
            _progress("flink", f"job jars: {len(flink_jars(stack.settings))} cached")
            _progress("spark", f"job jars: {len(spark_jars(stack.settings))} cached")
    except StackError as exc:
        _fail(exc)
    console.print(f"[green]all artifacts cached[/] under {StackSettings().cache_dir}")


@local_app.command("up")
def local_up(services: list[str] = typer.Argument(None, help="Only these services (and in this order).")) -> None:
    """Start the stack (idempotent) and wait until every service is healthy."""
    from icefloe.local.bootstrap import bootstrap
    from icefloe.local.errors import StackError

    stack = _stack()
    t0 = time.monotonic()
    try:
        stack.up(services, progress=_progress)
        if not services:
            bootstrap(stack.settings, progress=_progress)
    except StackError as exc:
        _fail(exc)
    console.print(f"[green]stack healthy in {time.monotonic() - t0:.1f}s[/]; profile: {stack.settings.profile_env}")


@local_app.command("down")
def local_down(services: list[str] = typer.Argument(None)) -> None:
    """Stop the processes `up` started (nothing else). Data stays in the state directory."""
    stopped = _stack().down(services, progress=_progress)
    console.print(f"stopped {len(stopped)} service(s)")


@local_app.command("status")
def local_status() -> None:
    """Show each service's pid, endpoint and health."""
    table = Table(title="icefloe local stack")
    for col in ("service", "endpoint", "pid", "health", "log"):
        table.add_column(col)
    statuses = _stack().status()
    for s in statuses:
        health = (f"[green]{s.detail}[/]" if s.healthy
                  else f"[yellow]{s.detail}[/]" if s.optional_absent else f"[red]{s.detail}[/]")
        table.add_row(s.name, s.endpoint, str(s.pid or "-"), health, s.log_file)
    table.add_row(*_warm_driver_row())
    console.print(table)
    if not all(s.healthy or s.optional_absent for s in statuses):
        raise typer.Exit(3)


def _warm_driver_row() -> list[str]:
    """The warm Spark driver's line (not a service: batch runs start it and it exits when idle)."""
    from icefloe import spark_daemon

    settings = _stack().settings
    info = spark_daemon.ping(settings)
    log_file = str(spark_daemon.process(settings).log_file)
    if info is None:
        return ["spark (warm driver)", "-", "-", "[dim]not running (the next batch run starts it)[/]", log_file]
    state = "running a job" if info.get("busy") else "idle"
    return ["spark (warm driver)", str(spark_daemon.socket_path(settings)), str(info.get("pid")),
            f"[green]{state}, {info.get('runs', 0)} run(s) so far[/]", log_file]


@local_app.command("logs")
def local_logs(service: str, follow: bool = typer.Option(False, "--follow", "-f"),
               lines: int = typer.Option(50, "--lines", "-n")) -> None:
    """Print (or follow) a service's log file."""
    from icefloe.local.errors import StackError

    try:
        if service == "spark-daemon":  # the warm Spark driver's own log (its JVM's warnings)
            from icefloe import spark_daemon

            path = spark_daemon.process(_stack().settings).log_file
        else:
            path = _stack().get(service).process.log_file
    except StackError as exc:
        _fail(exc)
    if not path.exists():
        _fail(FileNotFoundError(f"{service} has not written a log yet ({path})"))
    cmd = ["tail", f"-n{lines}"] + (["-F"] if follow else []) + [str(path)]
    raise typer.Exit(subprocess.call(cmd))


@local_app.command("reset")
def local_reset(yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Stop the stack and delete its state directory (all local data)."""
    import shutil

    settings = StackSettings()
    if not yes and not typer.confirm(f"Delete {settings.state_dir} and all local data?"):
        raise typer.Exit(1)
    _stack().down(progress=_progress)
    shutil.rmtree(settings.state_dir, ignore_errors=True)
    console.print(f"removed {settings.state_dir}")


@app.command("demo")
def demo(keep_running: bool = typer.Option(True, help="Leave the stack running afterwards.")) -> None:
    """Run the pipeline end to end on the local stack, printing each step and what it produced."""
    from icefloe.demo import run_demo
    from icefloe.local.errors import StackError

    try:
        run_demo(console, keep_running=keep_running)
    except StackError as exc:
        _fail(exc)


@flink_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def flink_run(ctx: typer.Context, sources: str = typer.Option("all", help="<source>_<object>,... or all"),
              bounded: bool = typer.Option(False, help="Stop at the offsets current at start.")) -> None:
    """Run the raw-layer job in the foreground (extra options go to jobs/flink/runner.py)."""
    from icefloe.jobs import run_flink
    from icefloe.local.errors import StackError

    argv = ["--sources", sources, *(["--bounded"] if bounded else []), *ctx.args]
    try:
        run = run_flink(argv, on_line=lambda ln: console.print(f"  [dim]{ln}[/]", markup=False, highlight=False))
    except StackError as exc:
        _fail(exc)
    console.print(f"[green]flink job finished[/] in {run.seconds:.1f}s; log: {run.log_file}")


@flink_app.command("package")
def flink_package() -> None:
    """Build the Managed Flink application zip (runner, SQL, sources.yaml, one uber jar) in dist/."""
    from icefloe.jobs import package_flink_app
    from icefloe.local.errors import StackError

    try:
        path = package_flink_app()
    except StackError as exc:
        _fail(exc)
    console.print(f"[green]built[/] {path} ({path.stat().st_size / 1e6:.0f} MB); Managed Flink run options: "
                  "python=jobs/flink/runner.py, jarfile=jobs/flink/lib/icefloe-flink-app.jar; "
                  "runtime property group `icefloe` carries the ICEFLOE_* values")


@flink_app.command("start")
def flink_start(sources: str = typer.Option("all"), checkpoint_interval: str = typer.Option("10s"),
                fresh: bool = typer.Option(False, help="Ignore retained checkpoints (start from group offsets).")) -> None:
    """Start the streaming job in the background, resuming from its newest checkpoint."""
    from icefloe.jobs import StreamingJob

    job = StreamingJob()
    pid = job.start(sources, checkpoint_interval, resume=not fresh)
    console.print(f"flink job running (pid {pid}); log: {job.process.log_file}")


@flink_app.command("stop")
def flink_stop() -> None:
    """Stop the background streaming job (its last checkpoint is kept for the next start)."""
    from icefloe.jobs import StreamingJob

    console.print("stopped" if StreamingJob().stop() else "not running")


@spark_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def spark_run(ctx: typer.Context, job: str = typer.Argument(..., help="a file of jobs/spark, e.g. staging")) -> None:
    """Run a Spark job (extra options go to the job, e.g. `staging --table shopify_orders`)."""
    from icefloe.jobs import run_spark
    from icefloe.local.errors import StackError

    try:
        run = run_spark(job, ctx.args, on_line=lambda ln: console.print(f"  [dim]{ln}[/]", markup=False, highlight=False))
    except StackError as exc:
        _fail(exc)
    console.print(f"[green]spark job {job} finished[/] in {run.seconds:.1f}s; log: {run.log_file}")


@app.command("drill")
def drill(fault: str = typer.Option("flink-kill", help="flink-kill | kafka-restart | none"),
          deliveries: int = typer.Option(50_000, help="Signed webhooks to send through the API."),
          checkpoint_interval: str = typer.Option("10s")) -> None:
    """Exactly-once fault drill: send webhooks, inject the fault mid-stream, count raw by delivery id."""
    from icefloe.drills import run_drill

    r = run_drill(StackSettings(), deliveries, fault, checkpoint_interval,
                  progress=lambda m: console.print(f"  {m}"))
    verdict = "[green]exactly once[/]" if r.exactly_once else "[red]NOT exactly once[/]"
    console.print(f"{verdict}: fault={r.fault} sent={r.sent} accepted={r.accepted} raw rows={r.rows} "
                  f"distinct={r.distinct} missing={r.missing} duplicates={r.duplicates} "
                  f"(edge redeliveries after a 503: {r.redelivered}) in {r.seconds:.0f}s")
    if not r.exactly_once:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
