"""Cost follows new data: the batch layers' incremental run against a full build, per layer.

    .venv/bin/python benchmarks/incremental_cost.py [--base 1000000] [--fractions 0.01,0.05,0.25] [--reset]

Against the running local stack (its ICEFLOE_ ports exported). Generated traffic (one
`icefloe.datagen` scenario run, all three providers: new objects and updates of earlier ones) is
written straight into the raw tables (one Iceberg commit per table and round, as the streaming job
makes them; API -> Kafka -> Flink is measured by benchmarks/ingestion_throughput.py). Then:

1. the base (`--base` events) and a full build (`run_batch(mode="full")`);
2. for each fraction f: f x base new events (the next ones of the same traffic), an incremental run,
   then a full rebuild of the same data, so each incremental run is compared with a full build of
   exactly the same raw tables.

Prints per layer (staging, entity resolution, core, analytics, marts) the seconds of both and their
ratio, and the totals (Spark start-up excluded and reported apart), and writes
benchmarks/results/incremental_cost.json with the load average, which matters on a shared machine.

`--reset` drops every table of the pipeline's namespaces first (raw, staging, semantic, core,
analytics, marts, metadata): the figures need raw tables holding only this benchmark's events.
Goal (issue 6): incremental at 1% new <= 15% of the full build, growing linearly with the new data.

Status (2026-11-23): NOT YET MEASURED. A smoke run (`--reset --base 2000 --fractions 0.25`, load
average ~10) spent ~9 minutes before its first Spark batch (in generating or writing the raw rows:
not profiled yet), then its full build ran normally; it was stopped at 11 minutes, no figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration.batch.raw_writer: the raw-table writer the tests use

NAMESPACES = ("raw", "staging", "semantic", "core", "analytics", "marts", "metadata")
EVENTS_PER_SCALE_HOUR = 3600  # measured: generate(scale=0.02, hours=30) gives ~2,200 events


def traffic(n: int, seed: int):
    from icefloe.datagen.traffic import generate

    hours = 48.0
    scale = max(n / (EVENTS_PER_SCALE_HOUR * hours) * 1.1, 0.001)
    while True:
        events = generate(scale=scale, seed=seed, start=datetime(2027, 6, 1, tzinfo=UTC), hours=hours).events
        if len(events) >= n:
            return sorted(events, key=lambda e: e.deliver_at)[:n]
        scale *= 1.2 * n / max(len(events), 1)


def write_raw(catalog, events) -> int:
    from icefloe.sources import load_sources
    from tests.integration.batch.raw_writer import append_raw

    sources = load_sources()
    per_table: dict[str, list[dict]] = defaultdict(list)
    topics: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        src = sources.route(ev.provider, ev.provider_topic)
        if src is None:
            continue
        body = json.loads(ev.body) if isinstance(ev.body, bytes | str) else ev.body
        for item in body if isinstance(body, list) else [body]:
            per_table[f"{src.source}_{src.object}"].append(item)
            topics[f"{src.source}_{src.object}"].append(ev.provider_topic)
    for table, payloads in per_table.items():
        append_raw(catalog, table, payloads, received_at=datetime.now(UTC), topics=topics[table])
    return sum(len(v) for v in per_table.values())


def reset(catalog) -> None:
    for ns in NAMESPACES:
        if (ns,) not in catalog.list_namespaces():
            continue
        for ident in catalog.list_tables(ns):
            catalog.drop_table(ident)


def layers(result) -> dict[str, float]:
    return {s.name: s.seconds for s in result.steps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=1_000_000, help="raw events of the base (default 1M)")
    parser.add_argument("--fractions", default="0.01,0.05,0.25", help="new events per round, as base fractions")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reset", action="store_true", help="drop the pipeline's tables first")
    args = parser.parse_args()
    fractions = [float(f) for f in args.fractions.split(",")]

    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile, StackSettings
    from icefloe.pipeline import run_batch

    stack = StackSettings()
    catalog = load_catalog("icefloe", **Profile.load(stack).pyiceberg_properties())
    if args.reset:
        reset(catalog)
    t0 = time.monotonic()
    events = traffic(int(args.base * (1 + sum(fractions))), args.seed)
    gen_s = time.monotonic() - t0
    cut = args.base
    written = write_raw(catalog, events[:cut])
    figures: dict = {"base_events": args.base, "base_raw_rows": written, "generate_s": round(gen_s, 1),
                     "load_average_start": os.getloadavg(), "rounds": []}
    print(f"base: {written} raw rows; full build ...", flush=True)
    first = run_batch(stack, mode="full")
    figures["base_build"] = {"seconds": first.seconds, "startup_s": first.startup_seconds, "layers": layers(first)}
    for f in fractions:
        n = int(args.base * f)
        rows = write_raw(catalog, events[cut:cut + n])
        cut += n
        inc = run_batch(stack, mode="incremental")
        full = run_batch(stack, mode="full")
        li, lf = layers(inc), layers(full)
        work_i, work_f = sum(li.values()), sum(lf.values())
        r = {"fraction": f, "new_events": n, "new_raw_rows": rows,
             "incremental": {"seconds": inc.seconds, "startup_s": inc.startup_seconds, "layers": li},
             "full": {"seconds": full.seconds, "startup_s": full.startup_seconds, "layers": lf},
             "ratio_work": round(work_i / work_f, 3) if work_f else None,
             "ratio_wall": round(inc.seconds / full.seconds, 3) if full.seconds else None,
             "ratio_per_layer": {k: round(li.get(k, 0) / v, 3) for k, v in lf.items() if v}}
        figures["rounds"].append(r)
        print(f"{f:.0%} new ({rows} raw rows): incremental {work_i:.1f}s of work ({inc.seconds:.1f}s wall), "
              f"full {work_f:.1f}s ({full.seconds:.1f}s wall): ratio {r['ratio_work']} "
              f"(wall {r['ratio_wall']}); per layer {r['ratio_per_layer']}", flush=True)
    figures["load_average_end"] = os.getloadavg()
    print(json.dumps(figures, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "incremental_cost.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
