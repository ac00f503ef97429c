"""The batch pipeline in one call: staging -> entity resolution -> core -> analytics -> marts.

    from icefloe.pipeline import run_batch
    result = run_batch(StackSettings(), progress=lambda step, message: ...)
    result.steps  # [StepResult(name="staging", rows=..., seconds=..., tables={...}), ...]

    icefloe batch run [--mode incremental|full] [--skip-er]

Each step is one Spark job in `.venv-spark` (`jobs/spark/staging.py --all`,
`jobs/spark/entity_resolution.py`, `jobs/spark/layers.py --layer ...`), the same files Airflow and
EMR Serverless run. The jobs print one `ICEFLOE_RESULT <json>` line per table; the figures here
come from those lines. Core, analytics and marts run in one Spark session (one JVM start instead
of three) and are reported as three steps.
"""

from __future__ import annotations

import ast
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import typer

from icefloe.config import StackSettings

log = logging.getLogger(__name__)

STEPS = ("staging", "entity_resolution", "core", "analytics", "marts")
MARKER = "ICEFLOE_RESULT"

Progress = Callable[[str, str], None]


@dataclass
class StepResult:
    name: str
    rows: int = 0  # rows written (staging: raw rows read and merged; layers: keys recomputed or rows rebuilt)
    seconds: float = 0.0
    tables: dict[str, dict] = field(default_factory=dict)  # per-table ICEFLOE_RESULT


@dataclass
class BatchResult:
    mode: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_results(output: str) -> list[dict]:
    """Every `ICEFLOE_RESULT` payload of a job's output (JSON; a Python dict literal is accepted too)."""
    out = []
    for line in output.splitlines():
        if not line.startswith(MARKER):
            continue
        text = line[len(MARKER):].strip()
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            out.append(ast.literal_eval(text))
    return out


def _rows(result: dict) -> int:
    for key in ("rows_merged", "rows", "changed_records", "records"):
        if isinstance(result.get(key), int):
            return result[key]
    return 0


def run_batch(stack: StackSettings | None = None, progress: Progress | None = None, mode: str = "incremental",
              entity_resolution: bool = True, timeout_s: float | None = 1800) -> BatchResult:
    """Run staging (every table) -> entity resolution -> core -> analytics -> marts against the stack.

    `mode`: `incremental` (default; what is new since the watermarks) or `full` (rebuild staging and
    the layers from raw; entity resolution stays incremental so entity ids stay stable).
    `progress(step, message)` is called when a step starts and ends. Raises `icefloe.jobs.JobFailed`
    (with the log file) when a job fails.
    """
    from icefloe.jobs import run_spark

    if mode not in ("incremental", "full"):
        raise ValueError(f"mode must be incremental or full (got {mode!r})")
    stack = stack or StackSettings()
    say = progress or (lambda step, message: None)
    result = BatchResult(mode)
    t_all = time.monotonic()

    def job(name: str, script: str, args: list[str]) -> tuple[list[dict], float]:
        say(name, f"jobs/spark/{script}.py {' '.join(args)}")
        run = run_spark(script, args, stack, timeout=timeout_s)
        return parse_results(run.output), run.seconds

    results, seconds = job("staging", "staging", ["--all", "--mode", mode])
    step = StepResult("staging", sum(_rows(r) for r in results), round(seconds, 2),
                      {r.get("table") or r.get("target", f"#{i}"): r for i, r in enumerate(results)})
    result.steps.append(step)
    say("staging", f"{len(results)} tables, {step.rows} rows merged in {step.seconds:.1f}s")

    if entity_resolution:
        results, seconds = job("entity_resolution", "entity_resolution", ["--mode", "incremental"])
        er = results[-1] if results else {}
        step = StepResult("entity_resolution", _rows(er), round(seconds, 2), {"semantic.entity_index": er})
        result.steps.append(step)
        say("entity_resolution", f"{er.get('records', 0)} records, {er.get('entities', 0)} entities, "
                                 f"{er.get('changed_records', 0)} changed, in {step.seconds:.1f}s")

    results, seconds = job("layers", "layers", ["--all", "--mode", mode])
    # one JVM for the three layers: its start-up is charged to core, each model's own time to its layer
    per_layer = {layer: [r for r in results if r["table"].startswith(layer + ".")]
                 for layer in ("core", "analytics", "marts")}
    work = sum(r.get("seconds", 0.0) for r in results)
    for layer, rs in per_layer.items():
        secs = sum(r.get("seconds", 0.0) for r in rs) + (seconds - work if layer == "core" else 0.0)
        step = StepResult(layer, sum(_rows(r) for r in rs), round(secs, 2), {r["table"]: r for r in rs})
        result.steps.append(step)
        say(layer, f"{len(rs)} tables, {step.rows} rows in {step.seconds:.1f}s")
    result.seconds = round(time.monotonic() - t_all, 2)
    return result


# ---- CLI: icefloe batch run ---------------------------------------------------------------------

app = typer.Typer(no_args_is_help=True, help="The batch layers: staging -> entity resolution -> core -> analytics -> marts.")


@app.command("run")
def batch_run(mode: str = typer.Option("incremental", help="incremental | full"),
              skip_er: bool = typer.Option(False, "--skip-er", help="Do not run entity resolution."),
              as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON.")) -> None:
    """Run every batch step against the local stack and print rows and seconds per step."""
    from rich.console import Console
    from rich.table import Table

    from icefloe.local.errors import StackError

    console = Console()
    try:
        result = run_batch(StackSettings(), lambda s, m: console.print(f"  [bold cyan]{s:<18}[/] {m}"), mode,
                           entity_resolution=not skip_er)
    except (StackError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        console.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"batch run ({result.mode}) in {result.seconds:.1f}s")
    for col in ("step", "tables", "rows", "seconds"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for s in result.steps:
        table.add_row(s.name, str(len(s.tables)), str(s.rows), f"{s.seconds:.1f}")
    console.print(table)
