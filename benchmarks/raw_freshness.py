"""Freshness and throughput of the raw layer (issue: streaming raw layer).

    .venv/bin/python benchmarks/raw_freshness.py [--rate 1000] [--duration 60] [--checkpoint-interval 10s]
                                                 [--ceiling-records 200000]

Needs the local stack up (`icefloe local up`). Two measurements:

1. Freshness: signed webhooks sent through the API at `--rate` for `--duration` seconds while the
   streaming job runs; for every accepted delivery, the time from its 2xx to the commit of the
   Iceberg snapshot that made it visible. Prints p50/p95/max (goal: p95 <= 2 x checkpoint interval).
2. Ceiling: `--ceiling-records` records produced straight into Kafka, then a bounded run of the
   job over them: rows/s with and without the job's fixed start-up cost.

Prints a table and writes benchmarks/results/raw_freshness.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
import uuid
from pathlib import Path

from icefloe.config import Profile, StackSettings
from icefloe.datagen.simulator import _event_loop_run
from icefloe.drills import make_deliveries
from icefloe.ingestion.settings import IngestionSettings

RESULTS = Path(__file__).resolve().parent / "results"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def paced_send(url: str, deliveries, rate: float, concurrency: int = 64) -> dict[str, float]:
    """Send at `rate`/s; returns delivery id -> wall-clock ms of its 2xx. The simulator's minimal
    HTTP/1.1 client, not aiohttp: on 2 cores every CPU-millisecond the sender spends is taken from
    the API and the streaming job being measured (aiohttp costs ~10x more per request)."""
    from icefloe.datagen.http1 import Connection, HttpError, Target

    target = Target.parse(url)
    acked: dict[str, float] = {}
    queue: asyncio.Queue = asyncio.Queue(maxsize=concurrency * 2)

    async def worker() -> None:
        conn = Connection(target, 30.0)
        try:
            while (d := await queue.get()) is not None:
                head = target.request_head(d.path, d.headers, len(d.body))
                for _ in range(10):
                    try:
                        r = await conn.post(head, d.body)
                    except HttpError:
                        r = None
                    if r is not None and r.status == 202:
                        acked[d.delivery_id] = time.time() * 1000
                        break
                    await asyncio.sleep(0.5)
        finally:
            conn.close()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    t0 = time.monotonic()
    for i, d in enumerate(deliveries):
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        await queue.put(d)
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    return acked


def watch_visibility(profile: Profile, prefix: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Poll snapshots; a delivery becomes visible at the commit time of the snapshot adding it."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.expressions import StartsWith

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    last = None
    while not stop.is_set():
        try:
            table = catalog.load_table("raw.shopify_orders")
        except NoSuchTableError:
            time.sleep(0.5)
            continue
        snap = table.current_snapshot()
        if snap and snap.snapshot_id != last:
            last = snap.snapshot_id
            ids = table.scan(row_filter=StartsWith("_webhook_id", prefix), selected_fields=("_webhook_id",),
                             snapshot_id=snap.snapshot_id).to_arrow().column("_webhook_id").to_pylist()
            for i in ids:
                seen.setdefault(i, snap.timestamp_ms)
        time.sleep(0.5)


def freshness(stack: StackSettings, rate: float, duration: float, interval: str) -> dict:
    from icefloe.jobs import StreamingJob

    profile = Profile.load(stack)
    settings = IngestionSettings.load()
    secret = settings.secrets(settings.shopify_webhook_secret)[0].decode()
    run_id = f"fresh-{uuid.uuid4().hex[:8]}"
    deliveries = make_deliveries(int(rate * duration), run_id, secret)
    job = StreamingJob(stack)
    job.stop()
    before = job.job_id()
    job.start("shopify_orders", interval, resume=True)
    deadline = time.monotonic() + 900  # start-up reads the table's committed offsets: longer on big tables
    while job.job_id() in (None, before) and time.monotonic() < deadline:
        if not job.process.is_running():
            raise SystemExit(f"the streaming job exited during start-up; see {job.process.log_file}")
        time.sleep(1)
    seen: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=watch_visibility, args=(profile, run_id, seen, stop), daemon=True)
    try:
        time.sleep(15)  # submitted: let it take its first checkpoint before the clock runs
        watcher.start()
        t0 = time.monotonic()
        acked = _event_loop_run(paced_send(profile.ingestion_url, deliveries, rate))
        send_s = time.monotonic() - t0
        deadline = time.monotonic() + 120
        while len(seen) < len(acked) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        stop.set()
        job.stop()
    lat = [(seen[i] - acked[i]) / 1000 for i in acked if i in seen]
    return {"target_rate": rate, "achieved_rate": round(len(acked) / send_s, 1), "accepted": len(acked),
            "visible": len(lat), "checkpoint_interval": interval, "p50_s": round(pct(lat, 0.5), 2),
            "p95_s": round(pct(lat, 0.95), 2), "max_s": round(max(lat), 2) if lat else None,
            "mean_s": round(statistics.fmean(lat), 2) if lat else None}


def ceiling(stack: StackSettings, records: int) -> dict:
    from confluent_kafka import Producer

    from icefloe.jobs import run_flink

    profile = Profile.load(stack)
    empty = run_flink(["--sources", "shopify_orders", "--bounded", "--checkpoint-interval", "5s"], stack)
    body = make_deliveries(1, "ceiling", "x")[0].body
    producer = Producer({"bootstrap.servers": profile.kafka_bootstrap_servers, "linger.ms": 20,
                         "compression.type": "zstd", "acks": "all", "enable.idempotence": True})
    t0 = time.monotonic()
    for i in range(records):
        while True:
            try:
                producer.produce("shopify.orders", key=str(i).encode(), value=body,
                                 headers=[("delivery_id", f"ceiling-{i}".encode()), ("received_at", b"0")])
                break
            except BufferError:  # the local queue is full: let acknowledgements drain it
                producer.poll(0.2)
        if i % 10000 == 0:
            producer.poll(0)
    producer.flush()
    produce_s = time.monotonic() - t0
    full = run_flink(["--sources", "shopify_orders", "--bounded", "--checkpoint-interval", "5s"], stack)
    work = max(full.seconds - empty.seconds, 0.1)
    return {"records": records, "produce_rate": round(records / produce_s), "job_seconds": round(full.seconds, 1),
            "startup_seconds": round(empty.seconds, 1), "rows_per_s_total": round(records / full.seconds),
            "rows_per_s_excluding_startup": round(records / work)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--checkpoint-interval", default="10s")
    p.add_argument("--ceiling-records", type=int, default=200_000)
    p.add_argument("--skip-ceiling", action="store_true")
    p.add_argument("--skip-freshness", action="store_true")
    args = p.parse_args()
    stack = StackSettings()
    out = {}
    if not args.skip_freshness:
        out["freshness"] = freshness(stack, args.rate, args.duration, args.checkpoint_interval)
        print(json.dumps(out["freshness"], indent=2))
    if not args.skip_ceiling:
        out["ceiling"] = ceiling(stack, args.ceiling_records)
        print(json.dumps(out["ceiling"], indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "raw_freshness.json").write_text(json.dumps(out, indent=2))
    print(f"written to {RESULTS / 'raw_freshness.json'}")


if __name__ == "__main__":
    main()
