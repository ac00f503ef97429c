"""Latency of the portable queries (sql/queries/) on the local stack's Trino: median of N runs per
query after a few warm-up runs (the first one is reported too), with the size of the tables each query reads. Optionally restarts
Trino first to measure its start-up time (to healthy) and reports its resident memory.

    .venv/bin/python benchmarks/query_latency.py [--runs 5] [--startups 2] [--copies 50] [NAME ...]

Needs the local stack running (`icefloe local up`) and data in the tables (for example
`python -c "from icefloe.thin_slice import produce; produce(20000)"`). Queries whose tables do not
exist yet are reported as skipped. `--copies N` also times each dashboard query on its tables'
rows repeated N times (namespace `bench`), to reach the 1M-row scale before the pipeline does.
Writes benchmarks/results/query_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from icefloe.config import StackSettings
from icefloe.local.stack import Stack
from icefloe.query import TRINO_CATALOG, TrinoEngine, load_queries

RESULTS = Path(__file__).resolve().parent / "results" / "query_latency.json"
GOAL_S = 1.0


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_startups(stack: Stack, n: int) -> list[float]:
    times = []
    for _ in range(n):
        stack.down(["trino"])
        times.append(stack.up(["trino"])["trino"])
    return times


def scaled_copy(engine: TrinoEngine, table: str, copies: int) -> str:
    """`bench.<name>_x<copies>`: the table's rows repeated `copies` times (ids suffixed), built
    once with a Trino CTAS; stands in for a larger table until the pipeline produces one."""
    name = table.split(".")[1]
    target = f"bench.{name}_x{copies}"
    engine.execute(f"CREATE SCHEMA IF NOT EXISTS {TRINO_CATALOG}.bench")
    if target not in engine.existing_tables({"bench"}):
        columns = [r[0] for r in engine.execute(f"SHOW COLUMNS FROM {table}")[1]]
        key = columns[0]  # the id column comes first in every layer's DDL
        select = ", ".join(f"{c} || '-' || CAST(k AS varchar) AS {c}" if c == key else c for c in columns)
        engine.execute(f"CREATE TABLE {target} WITH (format = 'PARQUET') AS "
                       f"SELECT {select} FROM {table} CROSS JOIN UNNEST(sequence(1, {copies})) AS t(k)")
    return target


def retarget(sql: str, mapping: dict[str, str]) -> str:
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


def time_query(engine: TrinoEngine, sql: str, schema: str, runs: int, warmup: int) -> dict:
    t0 = time.perf_counter()
    engine.execute(sql, schema)
    first = time.perf_counter() - t0
    for _ in range(warmup - 1):  # the JIT needs a few runs of a new query shape
        engine.execute(sql, schema)
    times = []
    rows: list = []
    for _ in range(runs):
        t0 = time.perf_counter()
        _, rows = engine.execute(sql, schema)
        times.append(time.perf_counter() - t0)
    return {"result_rows": len(rows), "first_s": round(first, 4), "runs_s": [round(r, 4) for r in times],
            "median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4), "meets_goal": statistics.median(times) <= GOAL_S}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="queries to time (default: all whose tables exist)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (the first is reported)")
    parser.add_argument("--startups", type=int, default=0, help="restart Trino this many times first")
    parser.add_argument("--copies", type=int, default=1,
                        help="also time each dashboard query on bench.<table>_x<copies>: its tables' rows "
                             "repeated this many times (built once by a Trino CTAS)")
    args = parser.parse_args(argv)
    console = Console()
    settings = StackSettings()
    stack = Stack(settings)

    load_before = os.getloadavg()[0]
    startups = measure_startups(stack, args.startups) if args.startups else []
    trino_svc = stack.get("trino")
    if trino_svc.health() is not None:
        console.print(f"[red]Trino is not healthy on {trino_svc.url}[/]: run `icefloe local up`")
        return 1

    engine = TrinoEngine(settings)
    specs = [s for s in load_queries() if not args.names or s.name in args.names]
    namespaces = {t.split(".")[0] for s in specs for t in s.tables}
    existing = engine.existing_tables(namespaces)
    sizes: dict[str, int] = {}
    results = []
    for spec in specs:
        missing = [t for t in spec.tables if t not in existing]
        if missing:
            results.append({"name": spec.name, "skipped": f"missing {', '.join(missing)}"})
            continue
        for t in spec.tables:
            if t not in sizes:
                sizes[t] = engine.execute(f"SELECT count(*) FROM {t}")[1][0][0]
        results.append({"name": spec.name, "dashboard": spec.dashboard, "tables": {t: sizes[t] for t in spec.tables},
                        **time_query(engine, spec.sql, spec.database, args.runs, args.warmup)})
        if args.copies > 1 and spec.dashboard:
            mapping = {t: scaled_copy(engine, t, args.copies) for t in spec.tables}
            for t in mapping.values():
                sizes[t] = engine.execute(f"SELECT count(*) FROM {t}")[1][0][0]
            results.append({"name": f"{spec.name} (x{args.copies})", "dashboard": True,
                            "tables": {t: sizes[t] for t in mapping.values()},
                            **time_query(engine, retarget(spec.sql, mapping), spec.database, args.runs,
                                         args.warmup)})
    engine.close()
    pid = trino_svc.process.pid
    rss = rss_mib(pid) if pid else None

    table = Table(title=f"query latency on Trino (median of {args.runs} runs after {args.warmup} warm-up)")
    for col in ("query", "rows read", "first (s)", "median (s)", "min (s)", "max (s)", f"≤ {GOAL_S:g} s"):
        table.add_column(col, justify="right" if col != "query" else "left")
    for r in results:
        if "skipped" in r:
            table.add_row(r["name"], "-", "-", "-", "-", "-", f"[yellow]skipped: {r['skipped']}[/]")
            continue
        table.add_row(r["name"], f"{sum(r['tables'].values()):,}", f"{r['first_s']:.3f}", f"{r['median_s']:.3f}",
                      f"{r['min_s']:.3f}", f"{r['max_s']:.3f}", "[green]yes[/]" if r["meets_goal"] else "[red]no[/]")
    console.print(table)
    if startups:
        console.print(f"Trino start-up to healthy: {', '.join(f'{s:.1f}s' for s in startups)}")
    if rss:
        console.print(f"Trino resident memory after the queries: {rss:.0f} MiB")
    console.print(f"1-minute load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
                  f"({os.cpu_count()} CPUs)")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "query_latency", "engine": "trino", "trino_version": "476",
        "host": platform.node(), "cpus": os.cpu_count(),
        # the machine is shared: the 1-minute load average says how much CPU the figures had
        "load_avg_1m": {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1)},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": args.runs, "warmup": args.warmup, "goal_s": GOAL_S, "table_rows": sizes, "queries": results,
        "trino_startup_s": [round(s, 1) for s in startups], "trino_rss_mib": round(rss) if rss else None,
    }, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
