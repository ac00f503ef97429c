"""How long the Flink runner takes to find its start offsets in a large raw table: the search over
the manifests' file bounds (what the runner does) against reading every row (what it did).

    .venv/bin/python benchmarks/flink_start_offsets.py [--files 400] [--rows-per-file 3000]
                                                       [--table shopify_orders] [--no-seed] [--repeat 1]

Seeds raw.<table> of the running stack (`icefloe local up postgres s3 catalog`) with files laid out
as the streaming job writes them (one file per checkpoint holding every Kafka partition, offsets
growing; ~1 KB payloads), then runs `runner.py --start-offsets-only pruned|full-scan` in the Flink
virtualenv, checks that both find the same offsets, and prints the time of the offset query itself
(in the runner) and of the whole run (JVM start-up included). Writes
benchmarks/results/flink_start_offsets.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from icefloe.config import Profile, StackSettings
from icefloe.jobs import run_flink
from icefloe.sources import load_sources

RESULTS = Path(__file__).resolve().parent / "results" / "flink_start_offsets.json"
PARTITIONS = 3


def raw_table(catalog, table: str):
    """raw.<table>, created with the columns of sql/00_raw/raw_source.sql if the job has not yet."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import DateType, IntegerType, LongType, NestedField, StringType, TimestamptzType

    ident = ("raw", table)
    if catalog.table_exists(ident):
        return catalog.load_table(ident)
    source = next(s for s in load_sources().sources if f"{s.source}_{s.object}" == table)
    names = ["object_id", *source.key_fields, "payload", "_webhook_id", "_webhook_topic"]
    fields = [NestedField(i + 1, n, StringType()) for i, n in enumerate(names)]
    n = len(fields)
    fields += [NestedField(n + 1, "_received_at", TimestamptzType()), NestedField(n + 2, "_received_date", DateType()),
               NestedField(n + 3, "_loaded_at", TimestamptzType()), NestedField(n + 4, "_kafka_partition", IntegerType()),
               NestedField(n + 5, "_kafka_offset", LongType())]
    spec = PartitionSpec(PartitionField(n + 2, 1000, IdentityTransform(), "_received_date"))
    catalog.create_namespace_if_not_exists("raw")
    return catalog.create_table(ident, schema=Schema(*fields), partition_spec=spec,
                                properties={"format-version": "2", "write.parquet.compression-codec": "zstd"})


def seed(table, files: int, rows_per_file: int) -> dict:
    """Append `files` checkpoint-like files after the offsets already there; 25 files per commit."""
    schema = table.schema().as_arrow()
    rng = random.Random(7)
    start = table.scan(selected_fields=("_kafka_offset",)).to_arrow().column("_kafka_offset")
    first = (max(start.to_pylist()) + 1) if len(start) else 0  # offsets continue: the max stays recent
    per_partition = rows_per_file // PARTITIONS
    day = date(2026, 11, 23)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    for batch_start in range(0, files, 25):
        with table.transaction() as tx:
            for i in range(batch_start, min(files, batch_start + 25)):
                rows = []
                for p in range(PARTITIONS):
                    base = first + i * per_partition
                    for k in range(per_partition):
                        o = base + k
                        rows.append({
                            "object_id": str(5_000_000_000 + rng.getrandbits(30)),
                            "payload": json.dumps({"id": o, "partition": p, "note": f"{rng.getrandbits(1000):x}"}),
                            "_webhook_id": f"{rng.getrandbits(128):032x}", "_webhook_topic": "orders/create",
                            "_received_at": now, "_received_date": day, "_loaded_at": now,
                            "_kafka_partition": p, "_kafka_offset": o})
                tx.append(pa.Table.from_pylist(rows, schema=schema))
        print(f"  seeded {min(files, batch_start + 25)}/{files} files", flush=True)
    return {"files_added": files, "rows_added": files * per_partition * PARTITIONS,
            "seed_s": round(time.perf_counter() - t0, 1)}


def find(method: str, table: str, stack: StackSettings) -> dict:
    t0 = time.perf_counter()
    run = run_flink(["--sources", table, "--start-offsets-only", method], stack, timeout=3600)
    wall = time.perf_counter() - t0
    line = next(ln for ln in run.output.splitlines() if ln.startswith("ICEFLOE_START_OFFSETS "))
    result = json.loads(line.split(" ", 1)[1])
    rounds = [ln.split("icefloe.flink: ", 1)[1] for ln in run.output.splitlines() if "round(s) of reads" in ln]
    return {"method": method, "query_s": result["seconds"], "run_s": round(wall, 1), "offsets": result["offsets"],
            "search": rounds[0] if rounds else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="shopify_orders")
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--rows-per-file", type=int, default=3000)
    ap.add_argument("--no-seed", action="store_true", help="measure the table as it is")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    stack = StackSettings()
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("icefloe", **Profile.load(stack).pyiceberg_properties())
    table = raw_table(catalog, args.table)
    result: dict = {"table": f"raw.{args.table}", "load_average_at_start": os.getloadavg()}
    if not args.no_seed:
        result["seed"] = seed(table, args.files, args.rows_per_file)
    table.refresh()
    files = table.inspect.files()
    result["data_files"] = len(files)
    result["rows"] = sum(files.column("record_count").to_pylist())
    result["data_bytes"] = sum(files.column("file_size_in_bytes").to_pylist())
    print(f"raw.{args.table}: {result['data_files']} data files, {result['rows']:,} rows, "
          f"{result['data_bytes'] / 2**20:,.0f} MiB", flush=True)
    runs = []
    for _ in range(args.repeat):
        for method in ("pruned", "full-scan"):
            r = find(method, args.table, stack)
            runs.append(r)
            print(f"  {method:>9}: offset query {r['query_s']:.1f} s, whole run {r['run_s']:.1f} s; {r['search'] or ''}",
                  flush=True)
    offsets = {json.dumps(r["offsets"], sort_keys=True) for r in runs}
    if len(offsets) != 1:
        raise SystemExit(f"the methods disagree: {offsets}")
    result["offsets"] = runs[0]["offsets"]
    result["runs"] = runs
    result["load_average_at_end"] = os.getloadavg()
    print(f"same offsets both ways: {result['offsets']}; load average {result['load_average_at_start']} -> "
          f"{result['load_average_at_end']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
