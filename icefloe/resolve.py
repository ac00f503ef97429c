"""`icefloe resolve`: entity resolution of any file of person records, on one machine (DuckDB).

    icefloe resolve --input crm.csv --map id=contact_id,first_name=fname,email=mail --output entities.parquet

The method is the pipeline's own (`jobs/spark/er_core.py` and `sql/02_semantic/er_method.sql`),
loaded by path: the Spark jobs must stay importable without this package, so the package borrows
from them rather than the other way round. DuckDB runs the SQL; this module only reads the file,
applies the column map, and writes (record id, entity id, confidence).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from rich.console import Console

from icefloe import PROJECT_ROOT

log = logging.getLogger(__name__)
ER_CORE = PROJECT_ROOT / "jobs" / "spark" / "er_core.py"

app = typer.Typer(add_completion=False, help="Resolve person records into entities (DuckDB, one machine).")
console = Console(stderr=True)


class ResolveError(ValueError):
    """Bad input for `icefloe resolve`; the message says how to fix it."""


def er_core() -> ModuleType:
    """The engine-independent method, `jobs/spark/er_core.py`, imported by path (once)."""
    name = "icefloe_er_core"
    if name in sys.modules:
        return sys.modules[name]
    if not ER_CORE.exists():
        raise ResolveError(f"{ER_CORE} is missing: `icefloe resolve` needs the project checkout")
    spec = importlib.util.spec_from_file_location(name, ER_CORE)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


#: `er_core.DuckDBEngine`: the `er_core.Engine` protocol on an in-process DuckDB connection
DuckDBEngine = er_core().DuckDBEngine


class LocalResolver:
    """Incremental resolution on one DuckDB connection: each `add` resolves a batch of raw records
    (INPUT_FIELDS) against everything added before, keeping entity ids stable."""

    STATE = ("records", "blocking", "links", "aliases")

    def __init__(self, params: Any = None, engine: DuckDBEngine | None = None, phone_region: str = "US") -> None:
        self.core = er_core()
        self.params = params or self.core.Params()
        self.engine = engine or DuckDBEngine()
        self.phone_region = phone_region
        self.runs = 0

    def add(self, records: list[dict[str, Any]], now: str | None = None):
        core, engine = self.core, self.engine
        engine.load_rows("er_raw", [{k: (None if r.get(k) is None else str(r[k])) for k in core.INPUT_FIELDS}
                                    for r in records], dict.fromkeys(core.INPUT_FIELDS, "string"))
        engine.normalise("er_raw", "er_norm", lambda r: core.normalise_record(r, phone_region=self.phone_region))
        engine.materialise("er_input", f"""SELECT {core.RECORD_COLS} FROM (
            SELECT *, row_number() OVER (PARTITION BY rid ORDER BY rid) AS _n FROM er_norm) t WHERE _n = 1""")
        self.runs += 1
        now = now or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        result = core.run(engine, self.params, run_id=f"run{self.runs}", now=now, first_run=self.runs == 1)
        for name in self.STATE:
            engine.materialise(f"er_state_{name}", f"SELECT * FROM er_{name}")
        return result

    def entities(self) -> dict[str, str]:
        """rid ("source|id") -> entity id."""
        return {r["rid"]: r["entity_id"] for r in self.engine.rows("SELECT rid, entity_id FROM er_state_records")}

    def aliases(self) -> dict[str, str]:
        return {r["alias_id"]: r["entity_id"] for r in self.engine.rows("SELECT * FROM er_state_aliases")}

    def links(self) -> list[dict[str, Any]]:
        return self.engine.rows("SELECT * FROM er_state_links ORDER BY rid_l, rid_r")


def parse_map(text: str, columns: list[str]) -> dict[str, str]:
    """`id=col,email=col2` -> {"id": "col", "email": "col2"}, checked against the file's columns."""
    fields = er_core().INPUT_FIELDS
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" not in part:
            raise ResolveError(f"--map entry {part!r} is not field=column (e.g. --map id=customer_id,email=mail)")
        key, col = (s.strip() for s in part.split("=", 1))
        if key not in fields:
            raise ResolveError(f"--map: unknown field {key!r}; fields are {', '.join(fields)}")
        if key in mapping:
            raise ResolveError(f"--map: field {key!r} is mapped twice")
        if col not in columns:
            raise ResolveError(f"--map {key}={col}: the input has no column {col!r}; its columns are "
                               f"{', '.join(columns)}")
        mapping[key] = col
    if "id" not in mapping:
        raise ResolveError("--map needs id=<column holding each record's id> (the key written to --output)")
    if len(mapping) == 1 + ("source" in mapping):
        raise ResolveError("--map maps no field to compare: add some of first_name, last_name, email, phone, "
                           "street, postcode, dob, national_id, ...")
    return mapping


def _reader(path: Path) -> str:
    suffix = path.suffix.lower()
    quoted = str(path).replace("'", "''")
    if suffix == ".parquet":
        return f"read_parquet('{quoted}')"
    if suffix in (".csv", ".tsv", ".txt"):
        # every column as text: ids, phone numbers and postcodes keep their leading zeros
        return f"read_csv('{quoted}', all_varchar = true, header = true)"
    raise ResolveError(f"--input {path}: unsupported format {suffix!r}; use .parquet or .csv")


def resolve_file(input_path: Path, mapping_text: str, output: Path, *, links: Path | None = None,
                 threshold: float = 0.5, phone_region: str = "US", default_source: str = "records",
                 threads: int | None = None, progress=None, engine: DuckDBEngine | None = None) -> dict[str, Any]:
    """Resolve every record of `input_path` together; write (source, id, entity_id, match_confidence)."""
    core = er_core()
    say = progress or (lambda m: log.info("%s", m))
    if not input_path.exists():
        raise ResolveError(f"--input {input_path}: no such file")
    if output.suffix.lower() not in (".parquet", ".csv"):
        raise ResolveError(f"--output {output}: use a .parquet or .csv file name")
    engine = engine or DuckDBEngine(threads=threads)
    t0 = time.monotonic()
    engine.con.execute(f"CREATE TEMP VIEW er_file AS SELECT * FROM {_reader(input_path)}")
    columns = [r["column_name"] for r in engine.rows("DESCRIBE er_file")]
    mapping = parse_map(mapping_text, columns)
    select = ", ".join(f'CAST("{col}" AS VARCHAR) AS {key}' for key, col in mapping.items())
    engine.con.execute(f"CREATE TEMP VIEW er_raw AS SELECT {select} FROM er_file")
    n = engine.rows("SELECT count(*) AS n FROM er_raw")[0]["n"]
    say(f"read {n} records from {input_path} ({', '.join(mapping)})")
    engine.normalise("er_raw", "er_norm", lambda r: core.normalise_record(r, default_source, phone_region))
    dupes = engine.rows("SELECT count(*) - count(DISTINCT rid) AS n FROM er_norm")[0]["n"]
    if dupes:
        log.warning("%d records repeat an id already seen (same source): the last one is used", dupes)
    engine.materialise("er_input", f"""SELECT {core.RECORD_COLS} FROM (
        SELECT *, row_number() OVER (PARTITION BY rid ORDER BY rid) AS _n FROM er_norm) t WHERE _n = 1""")
    say(f"normalised in {time.monotonic() - t0:.1f}s")
    params = core.Params(threshold=threshold)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    result = core.run(engine, params, run_id=uuid.uuid4().hex[:8], now=now, first_run=True, progress=say)
    output.parent.mkdir(parents=True, exist_ok=True)
    fmt = "PARQUET" if output.suffix.lower() == ".parquet" else "CSV, HEADER"
    out = str(output).replace("'", "''")
    engine.con.execute(f"""COPY (SELECT source, source_id AS id, entity_id, match_confidence
                                 FROM er_records ORDER BY entity_id, source, source_id)
                           TO '{out}' (FORMAT {fmt})""")
    if links:
        lk = str(links).replace("'", "''")
        lfmt = "PARQUET" if links.suffix.lower() == ".parquet" else "CSV, HEADER"
        engine.con.execute(f"""COPY (SELECT l.rid_l, l.rid_r, r.entity_id, l.match_weight, l.match_probability,
                                            l.blocked_on, l.explanation
                                     FROM er_links l JOIN er_records r ON r.rid = l.rid_l
                                     ORDER BY r.entity_id, l.rid_l, l.rid_r)
                               TO '{lk}' (FORMAT {lfmt})""")
    summary = {"records": result.records, "candidate_pairs": result.candidate_pairs,
               "reduction_ratio": result.reduction_ratio, "links": result.links_total,
               "entities": result.entities, "largest_entity": result.largest_entity,
               "split_clusters": result.split_clusters, "seconds": round(time.monotonic() - t0, 2),
               "output": str(output)}
    say(f"wrote {output}: {result.records} records -> {result.entities} entities")
    return summary


@app.callback(invoke_without_command=True)
def resolve(
    input: Path = typer.Option(..., "--input", "-i", help="Person records: .parquet or .csv."),
    map: str = typer.Option(..., "--map", "-m", help="field=column pairs, comma-separated. Fields: id (required), "
                            "source, name (full name), first_name, last_name, email, phone, street_number, street, address_2, city, "
                            "state, postcode, dob, national_id."),
    output: Path = typer.Option(..., "--output", "-o", help="(source, id, entity_id, match_confidence): "
                                ".parquet or .csv"),
    links: Path = typer.Option(None, "--links", help="Also write every link with its weight and explanation."),
    threshold: float = typer.Option(0.5, min=0.0, max=1.0, help="Match probability a link needs."),
    phone_region: str = typer.Option("US", help="Region for phone numbers written without +country code."),
    threads: int = typer.Option(None, help="DuckDB threads (default: all cores)."),
) -> None:
    """Link the records of one file (from one or several sources) into entities."""
    try:
        summary = resolve_file(input, map, output, links=links, threshold=threshold, phone_region=phone_region,
                               threads=threads, progress=lambda m: console.print(f"  [cyan]resolve[/] {m}"))
    except ResolveError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"[green]{summary['records']} records -> {summary['entities']} entities[/] "
                  f"({summary['candidate_pairs']} candidate pairs, {summary['links']} links, "
                  f"{summary['seconds']}s) -> {summary['output']}")
