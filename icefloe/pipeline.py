"""The batch pipeline in one call: staging -> entity resolution -> core -> analytics -> marts.

    from icefloe.pipeline import run_batch
    result = run_batch(StackSettings(), progress=lambda step, message: ...)
    result.steps  # [StepResult(name="staging", rows=..., seconds=..., tables={...}), ...]

    icefloe batch run [--mode incremental|full] [--skip-er]

All steps run in one Spark driver in `.venv-spark` (`jobs/spark/batch.py`, which calls the same
functions as `staging.py`, `entity_resolution.py` and `layers.py`, the files Airflow and EMR
Serverless run one task each): one JVM start instead of five, and none at all once the warm driver
is up (`icefloe.spark_daemon`: a run after the first skips the JVM's start and most of its JIT
compiling). The job prints one `ICEFLOE_RESULT <json>` line per table; the figures here come from
those lines.
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
STEP_MARKER = "ICEFLOE_STEP"

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
    startup_seconds: float = 0.0  # Spark session start-up and shutdown, outside every step
    driver: str = ""  # which Spark driver ran it: one of its own, or the warm one (icefloe.spark_daemon)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def as_dict(self) -> dict:
        return asdict(self)


def step_walls(output: str) -> dict[str, float]:
    """Wall time of the steps whose tables ran side by side (`ICEFLOE_STEP {"step", "seconds"}`
    lines): their tables' own times overlap, so their sum is not the step's time."""
    walls = {}
    for line in output.splitlines():
        if line.startswith(STEP_MARKER + " "):
            step = json.loads(line[len(STEP_MARKER):])
            walls[step["step"]] = float(step["seconds"])
    return walls


def parse_results(output: str) -> list[dict]:
    """Every `ICEFLOE_RESULT` payload of a job's output (JSON; a Python dict literal is accepted too)."""
    out = []
    for line in output.splitlines():
        if not line.startswith(MARKER + " "):
            continue
        text = line[len(MARKER):].strip()
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            try:
                out.append(ast.literal_eval(text))
            except (ValueError, SyntaxError):
                # a report, not data: the job's writes stand; say so rather than fail the whole run
                log.warning("unreadable %s line in the job's output (skipped): %.300s", MARKER, text)
    return out


def _rows(result: dict) -> int:
    for key in ("rows_merged", "rows", "changed_records", "records"):
        if isinstance(result.get(key), int):
            return result[key]
    return 0


def _notes(result: dict) -> str:
    """What a table's result says besides its rows: raw rows that did not type, unknown payload fields."""
    notes = []
    if result.get("rejected_rows"):
        first = (result.get("rejects") or ["?"])[0]
        notes.append(f"{result['rejected_rows']} raw row(s) did not type, left in raw and listed in "
                     f"metadata.staging_rejects (first, partition/offset: {first})")
    if result.get("unexpected_fields"):
        notes.append(f"payload fields staging does not know yet (kept in raw): {', '.join(result['unexpected_fields'])}")
    return "".join(f"; {n}" for n in notes)


def run_batch(stack: StackSettings | None = None, progress: Progress | None = None, mode: str = "incremental",
              entity_resolution: bool = True, timeout_s: float | None = 1800) -> BatchResult:
    """Run staging (every table) -> entity resolution -> core -> analytics -> marts against the stack.

    One Spark process (`jobs/spark/batch.py`: the same functions the per-step job files run).
    `mode`: `incremental` (default; what is new since the watermarks) or `full` (rebuild staging and
    the layers from raw; entity resolution stays incremental so entity ids stay stable).
    `progress(step, message)` is called as each table finishes. Per step: `rows` (staging: raw rows
    merged as ids; entity resolution: records; layers: keys recomputed, or rows when rebuilt) and
    `seconds` (the step's own work; Spark's start-up is in `BatchResult.startup_seconds`).
    Raises `icefloe.jobs.JobFailed` (naming the log file) when the job fails.
    """
    from icefloe.jobs import run_spark

    if mode not in ("incremental", "full"):
        raise ValueError(f"mode must be incremental or full (got {mode!r})")
    stack = stack or StackSettings()
    say = progress or (lambda step, message: None)
    args = ["--mode", mode] + ([] if entity_resolution else ["--skip-er"])
    t_all = time.monotonic()

    def on_line(line: str) -> None:
        for r in parse_results(line) if line.startswith(MARKER + " ") else []:
            rebuilt = " (rebuilt in full: cheaper than merging at this size)" if r.get("why") else ""
            say(r.get("step", "?"), f"{r.get('table')}: {_rows(r)} rows in {r.get('seconds', 0):.1f}s{rebuilt}"
                                    f"{_notes(r)}")

    say("batch", f"jobs/spark/batch.py {' '.join(args)}")
    run = run_spark("batch", args, stack, on_line=on_line, timeout=timeout_s)
    result = BatchResult(mode)
    walls = step_walls(run.output)
    for name in STEPS:
        rs = [r for r in parse_results(run.output) if r.get("step") == name]
        if not rs:
            continue
        seconds = walls.get(name, round(sum(r.get("seconds", 0.0) for r in rs), 2))
        result.steps.append(StepResult(name, sum(_rows(r) for r in rs), seconds, {r["table"]: r for r in rs}))
    result.seconds = round(time.monotonic() - t_all, 2)
    result.startup_seconds = round(run.seconds - sum(s.seconds for s in result.steps), 2)
    result.driver = run.driver
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
    table = Table(title=f"batch run ({result.mode}) in {result.seconds:.1f}s on {result.driver}")
    for col in ("step", "tables", "rows", "seconds"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for s in result.steps:
        table.add_row(s.name, str(len(s.tables)), str(s.rows), f"{s.seconds:.1f}")
    console.print(table)
