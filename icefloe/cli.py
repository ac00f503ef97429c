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

console = Console(stderr=False)
app = typer.Typer(add_completion=False, no_args_is_help=True, help="icefloe: a webhook lakehouse you can run on one machine.")
local_app = typer.Typer(no_args_is_help=True, help="The local stack: native processes, no Docker.")
app.add_typer(local_app, name="local")
app.add_typer(__import__("icefloe.query").query.app, name="query")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, show_time=False)],
    )
    for noisy in ("botocore", "urllib3", "pyiceberg"):
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

    try:
        _stack().fetch(services, progress=_progress)
    except StackError as exc:
        _fail(exc)
    console.print("[green]all artifacts cached[/]")


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
        health = "[green]healthy[/]" if s.healthy else f"[red]{s.detail}[/]"
        table.add_row(s.name, s.endpoint, str(s.pid or "-"), health, s.log_file)
    console.print(table)
    if not all(s.healthy for s in statuses):
        raise typer.Exit(3)


@local_app.command("logs")
def local_logs(service: str, follow: bool = typer.Option(False, "--follow", "-f"),
               lines: int = typer.Option(50, "--lines", "-n")) -> None:
    """Print (or follow) a service's log file."""
    from icefloe.local.errors import StackError

    try:
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
