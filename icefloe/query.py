"""The portable queries (`sql/queries/`): the business questions the marts exist for, written once
in the dialect Trino 476 and Athena engine v3 share.

`sql/queries/queries.yaml` lists them (name, file, description, default database, tables read);
locally `icefloe query` runs them on the stack's Trino and prints each result as a table; on AWS
Terraform turns the same entries into Athena named queries. A query whose tables do not exist
yet (the marts come from the batch jobs) is skipped with a message naming the missing tables.

    icefloe query --list                  what there is, and whether its tables exist
    icefloe query orders_daily            one query (several names: several queries)
    icefloe query --all                   every query whose tables exist
    icefloe query --all --engine duckdb   the same SQL through sqlglot + DuckDB (no Java needed)
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from icefloe import PROJECT_ROOT
from icefloe.config import StackSettings

log = logging.getLogger(__name__)

QUERIES_DIR = PROJECT_ROOT / "sql" / "queries"
QUERIES_FILE = QUERIES_DIR / "queries.yaml"
#: Athena's limit on a named query's description
MAX_DESCRIPTION = 1024
#: the Trino catalog the local stack configures (local/services/trino.py)
TRINO_CATALOG = "icefloe"
console = Console()


@dataclass(frozen=True)
class QuerySpec:
    """One entry of `queries.yaml`."""

    name: str
    file: str
    description: str
    database: str
    tables: tuple[str, ...]
    dashboard: bool = False

    @property
    def path(self) -> Path:
        return QUERIES_DIR / self.file

    @property
    def sql(self) -> str:
        """The statement, without the trailing semicolon the drivers reject."""
        return self.path.read_text().strip().rstrip(";").strip()


@functools.cache
def load_queries(path: Path = QUERIES_FILE) -> tuple[QuerySpec, ...]:
    """Parse and validate `queries.yaml`; a bad entry is named with what to fix."""
    doc = yaml.safe_load(path.read_text()) or {}
    specs: list[QuerySpec] = []
    for i, entry in enumerate(doc.get("queries") or []):
        where = f"{path}: queries[{i}]"
        try:
            spec = QuerySpec(
                name=entry["name"], file=entry["file"], description=entry["description"].strip(),
                database=entry["database"], tables=tuple(entry["tables"]),
                dashboard=bool(entry.get("dashboard", False)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where} lacks required key {exc} (name, file, description, database, tables)") from exc
        if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.name):
            raise ValueError(f"{where}: name {spec.name!r} must be lower-case letters, digits and _")
        if any(s.name == spec.name for s in specs):
            raise ValueError(f"{where}: name {spec.name!r} is used twice")
        if not (path.parent / spec.file).is_file():
            raise ValueError(f"{where}: file {spec.file!r} does not exist beside {path.name}")
        if len(spec.description) > MAX_DESCRIPTION:
            raise ValueError(f"{where}: description longer than Athena's {MAX_DESCRIPTION} characters")
        for t in spec.tables:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", t):
                raise ValueError(f"{where}: table {t!r} must be written <namespace>.<table>")
        specs.append(spec)
    if not specs:
        raise ValueError(f"{path} declares no queries")
    return tuple(specs)


# --------------------------------------------------------------------------- the tables' contract
#: where each namespace's table definitions live (`sql/<dir>/<table>.sql`, section `-- ====  DDL`)
LAYER_DIRS = {"staging": "01_staging", "semantic": "02_semantic", "core": "03_core",
              "analytics": "04_analytics", "marts": "05_marts"}


def table_ddl(table: str) -> list[tuple[str, Any]]:
    """The columns of a layer table as its DDL (Spark SQL, the one definition the batch jobs create
    it from) declares them: `(name, sqlglot DataType)` in order. Raw tables have no DDL file."""
    import sqlglot
    from sqlglot import exp

    namespace, name = table.split(".")
    if namespace not in LAYER_DIRS:
        raise KeyError(f"{table}: no DDL for namespace {namespace!r} (layers: {', '.join(LAYER_DIRS)})")
    path = PROJECT_ROOT / "sql" / LAYER_DIRS[namespace] / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"{table}: {path} does not exist")
    parts = re.split(r"^--\s*====\s+([A-Z_]+)\s+=*\s*$", path.read_text(), flags=re.MULTILINE)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if "DDL" not in sections:
        raise ValueError(f"{path}: no '-- ====  DDL' section")
    create = sqlglot.parse_one(sections["DDL"].strip().rstrip(";"), read="spark")
    schema = create.this if isinstance(create, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        raise ValueError(f"{path}: the DDL section is not a CREATE TABLE with columns")
    return [(c.name, c.args["kind"]) for c in schema.expressions if isinstance(c, exp.ColumnDef)]


def ddl_type(dtype: Any, dialect: str) -> str:
    """A DDL column type in `dialect`. Spark's TIMESTAMP is Iceberg's timestamptz (microseconds)."""
    from sqlglot import exp

    if dtype.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMP) and dialect == "trino":
        return "timestamp(6) with time zone"
    return dtype.sql(dialect=dialect)


def get_query(name: str) -> QuerySpec:
    for spec in load_queries():
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in load_queries())
    raise KeyError(f"no query {name!r}; sql/queries/queries.yaml declares: {known}")


# --------------------------------------------------------------------------- engines
@dataclass
class QueryResult:
    spec: QuerySpec
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    seconds: float = 0.0
    missing: tuple[str, ...] = ()

    @property
    def skipped(self) -> bool:
        return bool(self.missing)


class Engine(Protocol):
    name: str

    def existing_tables(self, namespaces: set[str]) -> set[str]: ...

    def execute(self, sql: str, schema: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    def close(self) -> None: ...


class QueryEngineError(RuntimeError):
    """The engine is unreachable or rejected a query; the message says what to do."""


class TrinoEngine:
    """The local stack's Trino (`icefloe local up` starts it), through the PyPI `trino` client."""

    name = "trino"

    def __init__(self, stack: StackSettings | None = None, user: str = "icefloe") -> None:
        import trino

        self.stack = stack or StackSettings()
        self.user = user
        self._trino = trino
        self._conns: dict[str, Any] = {}

    def _cursor(self, schema: str):
        # the session's default schema is fixed per connection: one connection per schema
        if schema not in self._conns:
            self._conns[schema] = self._trino.dbapi.connect(
                host=self.stack.host, port=self.stack.trino_port, user=self.user, catalog=TRINO_CATALOG,
                schema=schema, http_scheme="http", request_timeout=120)
        return self._conns[schema].cursor()

    def execute(self, sql: str, schema: str = "information_schema") -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self._cursor(schema)
        try:
            cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()]
        except self._trino.exceptions.TrinoUserError as exc:
            raise QueryEngineError(f"Trino rejected the query: {exc.message}") from exc
        except (self._trino.exceptions.HttpError, OSError) as exc:
            raise QueryEngineError(
                f"cannot reach Trino on {self.stack.host}:{self.stack.trino_port} ({exc}); start it with "
                f"`icefloe local up` (port: ICEFLOE_TRINO_PORT)") from exc
        return [d[0] for d in cur.description or []], rows

    def existing_tables(self, namespaces: set[str]) -> set[str]:
        if not namespaces:
            return set()
        in_list = ", ".join(f"'{ns}'" for ns in sorted(namespaces))
        _, rows = self.execute(
            f"SELECT table_schema, table_name FROM {TRINO_CATALOG}.information_schema.tables "
            f"WHERE table_schema IN ({in_list})")
        return {f"{s}.{t}" for s, t in rows}

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


class DuckDBEngine:
    """The fallback without Java: the same SQL, transpiled from the Trino dialect by sqlglot, run
    by DuckDB's Iceberg extension on the same REST catalog and object store. The extensions come
    from PyPI wheels (`duckdb-extension-iceberg`, `-httpfs`, `-avro`) and are loaded from there:
    nothing is downloaded at run time. Read-only; no SigV4 (so local only)."""

    name = "duckdb"
    EXTENSIONS = ("httpfs", "avro", "iceberg")

    def __init__(self, stack: StackSettings | None = None) -> None:
        import duckdb

        from icefloe.config import Profile

        profile = Profile.load(stack or StackSettings())
        if profile.catalog_sigv4:
            raise QueryEngineError("--engine duckdb reads the local REST catalog only (no SigV4); "
                                   "on AWS use Athena, locally use --engine trino")
        self.con = duckdb.connect()
        self.con.execute("SET autoinstall_known_extensions = false")
        self.con.execute("SET autoload_known_extensions = false")
        for ext in self.EXTENSIONS:
            self.con.execute(f"LOAD '{self._extension_file(ext, duckdb.__version__)}'")
        endpoint = profile.s3_endpoint or f"s3.{profile.region}.amazonaws.com"
        secret = profile.s3_secret_access_key.get_secret_value() if profile.s3_secret_access_key else ""
        self.con.execute(
            "CREATE SECRET icefloe_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE ?, USE_SSL ?)",
            [profile.s3_access_key_id or "", secret, profile.region,
             endpoint.split("://", 1)[-1], "path" if profile.s3_path_style else "vhost",
             not endpoint.startswith("http://")])
        try:
            self.con.execute(
                f"ATTACH '{profile.catalog_warehouse}' AS {TRINO_CATALOG} "
                f"(TYPE iceberg, ENDPOINT '{profile.catalog_uri}', AUTHORIZATION_TYPE 'none')")
        except duckdb.Error as exc:
            raise QueryEngineError(f"DuckDB cannot attach the catalog at {profile.catalog_uri} ({exc}); "
                                   f"start the stack with `icefloe local up`") from exc

    @staticmethod
    def _extension_file(ext: str, version: str) -> Path:
        spec = importlib.util.find_spec(f"duckdb_extension_{ext}")
        if spec is None or not spec.submodule_search_locations:
            raise QueryEngineError(f"the DuckDB {ext} extension is not installed: "
                                   f"`uv pip install duckdb-extension-{ext}=={version}` (or `make venvs`)")
        root = Path(next(iter(spec.submodule_search_locations))) / "extensions"
        found = sorted(root.glob(f"v*/{ext}.duckdb_extension"))
        exact = [f for f in found if f.parent.name == f"v{version}"]
        if not exact:
            have = ", ".join(f.parent.name for f in found) or "none"
            raise QueryEngineError(f"duckdb {version} needs duckdb-extension-{ext}=={version} (installed: {have}); "
                                   f"run `make venvs`")
        return exact[0]

    @staticmethod
    def transpile(sql: str) -> str:
        """Trino -> DuckDB, with every schema-qualified table moved into the attached catalog."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="trino")
        for table in tree.find_all(exp.Table):
            if table.db and not table.catalog:
                table.set("catalog", exp.to_identifier(TRINO_CATALOG))
        return tree.sql(dialect="duckdb")

    def execute(self, sql: str, schema: str = "main") -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        try:
            cur = self.con.execute(self.transpile(sql))
            rows = cur.fetchall()
        except duckdb.Error as exc:
            raise QueryEngineError(f"DuckDB rejected the (transpiled) query: {exc}") from exc
        return [d[0] for d in cur.description or []], rows

    def existing_tables(self, namespaces: set[str]) -> set[str]:
        rows = self.con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                                [TRINO_CATALOG]).fetchall()
        return {f"{s}.{t}" for s, t in rows if s in namespaces}

    def close(self) -> None:
        self.con.close()


ENGINES = {"trino": TrinoEngine, "duckdb": DuckDBEngine}


def make_engine(name: str, stack: StackSettings | None = None) -> Engine:
    if name not in ENGINES:
        raise QueryEngineError(f"unknown engine {name!r}; use --engine {' or '.join(ENGINES)}")
    return ENGINES[name](stack)


def run_queries(engine: Engine, specs: list[QuerySpec]) -> list[QueryResult]:
    """Run each query whose tables exist; the others come back with `missing` set."""
    existing = engine.existing_tables({t.split(".")[0] for s in specs for t in s.tables})
    results = []
    for spec in specs:
        missing = tuple(t for t in spec.tables if t not in existing)
        if missing:
            log.debug("%s: skipped, missing %s", spec.name, ", ".join(missing))
            results.append(QueryResult(spec, missing=missing))
            continue
        t0 = time.perf_counter()
        columns, rows = engine.execute(spec.sql, spec.database)
        results.append(QueryResult(spec, columns, rows, time.perf_counter() - t0))
    return results


def retarget(sql: str, mapping: dict[str, str]) -> str:
    """The query with tables renamed (`{"marts.customer_360": "bench.customer_360_x50"}`), in the
    Trino dialect: for running the same SQL on copies (benchmark, tests)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="trino")
    for t in tree.find_all(exp.Table):
        new = mapping.get(f"{t.db}.{t.name}")
        if new:
            db, name = new.split(".")
            t.set("db", exp.to_identifier(db))
            t.set("this", exp.to_identifier(name))
    return tree.sql(dialect="trino")


def run_saved(name: str, settings: StackSettings | None = None, engine: str = "trino") -> list[dict[str, Any]]:
    """Run one saved query (an entry of `queries.yaml`) on the local stack and return its rows, each
    a dict column -> value (Decimal, date, datetime, ... as the engine returns them).

    Raises KeyError for an unknown name, QueryEngineError when the engine is unreachable, rejects the
    query, or a table it reads does not exist yet (the message names the tables)."""
    spec = get_query(name)
    eng = make_engine(engine, settings)
    try:
        (result,) = run_queries(eng, [spec])
    finally:
        eng.close()
    if result.skipped:
        raise QueryEngineError(f"{name}: {', '.join(result.missing)} not built yet (run the pipeline first)")
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def print_saved(names: list[str], settings: StackSettings | None = None, out: Console | None = None,
                max_rows: int = 10, engine: str = "trino") -> list[QueryResult]:
    """Run saved queries and print each result as a table (for the demo). A query whose tables do not
    exist yet is reported in one line instead; engine errors are raised (QueryEngineError)."""
    out = out or console
    specs = [get_query(n) for n in names]
    eng = make_engine(engine, settings)
    try:
        results = run_queries(eng, specs)
    finally:
        eng.close()
    for r in results:
        if r.skipped:
            out.print(f"[yellow]skipped {r.spec.name}[/]: {', '.join(r.missing)} not built yet")
        else:
            out.print(render(r, max_rows, width=out.width))
    return results


# --------------------------------------------------------------------------- CLI
app = typer.Typer(invoke_without_command=True, help="Run the portable queries (sql/queries/) locally.")


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]null[/]"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def render(result: QueryResult, max_rows: int, width: int | None = None) -> Table:
    """The result as a table. With `width` (the console's), columns that would not fit unwrapped are
    left out, from the right, and named in the caption: a 16-column result folded into 150 characters
    is unreadable (every cell broken over 3-4 lines)."""
    cells = [[_cell(v) for v in row] for row in result.rows[:max_rows]]
    shown = len(result.columns)
    if width is not None:
        used, shown = 1, 0
        for i, col in enumerate(result.columns):
            need = max([len(col)] + [len(Text.from_markup(r[i]).plain) for r in cells]) + 3  # padding, border
            if shown and used + need > width:
                break
            used, shown = used + need, shown + 1
    hidden = result.columns[shown:]
    caption = result.spec.description
    if hidden:
        caption += f" [dim](not shown, too wide: {', '.join(hidden)}; `icefloe query {result.spec.name}` shows all)[/]"
    table = Table(title=f"{result.spec.name} [dim]({len(result.rows)} rows, {result.seconds:.2f}s)[/]",
                  caption=caption, title_justify="left")
    for col in result.columns[:shown]:
        table.add_column(col, overflow="fold")
    for row in cells:
        table.add_row(*row[:shown])
    if len(result.rows) > max_rows:
        table.add_row(*(["…"] * shown))
    return table


@app.callback()
def query(
    names: list[str] = typer.Argument(None, help="Query names (see --list)."),
    all_: bool = typer.Option(False, "--all", help="Every query (those whose tables are missing are skipped)."),
    list_: bool = typer.Option(False, "--list", help="List the queries and whether their tables exist."),
    engine: str = typer.Option("trino", "--engine", help="trino (the local stack's) or duckdb (no Java)."),
    max_rows: int = typer.Option(40, "--max-rows", help="Rows printed per result."),
) -> None:
    """Run queries from sql/queries/ on the local stack and print the results as tables."""
    try:
        specs = list(load_queries()) if (all_ or list_) else [get_query(n) for n in names or []]
    except (KeyError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {exc.args[0]}")
        raise typer.Exit(2) from exc
    if not specs:
        console.print("name a query, or use --all or --list; queries: "
                      + ", ".join(s.name for s in load_queries()))
        raise typer.Exit(2)
    try:
        eng = make_engine(engine)
        try:
            if list_:
                existing = eng.existing_tables({t.split(".")[0] for s in specs for t in s.tables})
                table = Table(title="sql/queries")
                table.add_column("name", no_wrap=True)
                table.add_column("ready")
                table.add_column("description", overflow="fold")
                for s in specs:
                    missing = [t for t in s.tables if t not in existing]
                    table.add_row(s.name, "[green]yes[/]" if not missing
                                  else f"[yellow]missing {', '.join(missing)}[/]", s.description)
                console.print(table)
                return
            results = run_queries(eng, specs)
        finally:
            eng.close()
    except QueryEngineError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    for r in results:
        if r.skipped:
            console.print(f"[yellow]skipped {r.spec.name}[/]: {', '.join(r.missing)} "
                          f"{'does' if len(r.missing) == 1 else 'do'} not exist yet "
                          f"(the pipeline builds it: raw.* by Flink, the rest by the Spark jobs)")
        else:
            console.print(render(r, max_rows))
    if all(r.skipped for r in results):
        raise typer.Exit(3)
