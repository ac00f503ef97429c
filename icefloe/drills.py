"""Fault drills: prove the raw layer's exactly-once promise on the running local stack.

`icefloe drill exactly-once --deliveries 50000 --fault flink-kill|kafka-restart` sends signed
webhooks through the API while the streaming job runs, injects the fault mid-stream (kill -9 of
the Flink job and a restart from its last checkpoint, or a Kafka broker restart), then counts
the raw table by delivery id: every accepted delivery must be there exactly once.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from icefloe.config import Profile, StackSettings

log = logging.getLogger(__name__)

FAULTS = ("flink-kill", "kafka-restart", "none")


@dataclass
class DrillResult:
    fault: str
    sent: int
    accepted: int
    rows: int
    distinct: int
    missing: int
    duplicates: int
    seconds: float
    events: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return self.accepted == self.distinct == self.rows and self.missing == 0


def make_deliveries(n: int, run_id: str, secret: str):
    from icefloe.datagen import shopify
    from icefloe.datagen.webhooks import shopify_delivery

    pool = shopify.orders(min(n, 200), seed=99)
    out = []
    for i in range(n):
        body = copy.copy(pool[i % len(pool)])
        body["id"] = 6_000_000_000_000_000_000 + i
        body["order_number"] = 500_000 + i
        out.append(shopify_delivery("orders/create", body, secret, delivery_id=f"{run_id}-{i:07d}"))
    return out


def count_raw(profile: Profile, prefix: str) -> tuple[int, int]:
    """(rows, distinct delivery ids) in raw.shopify_orders for deliveries of this drill."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.expressions import StartsWith

    try:
        table = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table("raw.shopify_orders")
    except NoSuchTableError:  # the streaming job creates it when it starts
        return 0, 0
    ids = table.scan(row_filter=StartsWith("_webhook_id", prefix), selected_fields=("_webhook_id",)).to_arrow()
    col = ids.column("_webhook_id")
    return len(col), len(set(col.to_pylist()))


def run_drill(stack: StackSettings, deliveries: int = 3000, fault: str = "flink-kill",
              checkpoint_interval: str = "2s", concurrency: int = 16, settle_timeout: float = 300,
              progress: Callable[[str], None] = log.info) -> DrillResult:
    from icefloe.datagen.webhooks import send_concurrently
    from icefloe.ingestion.settings import IngestionSettings
    from icefloe.jobs import StreamingJob
    from icefloe.local.stack import Stack

    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; choose one of {FAULTS}")
    profile = Profile.load(stack)
    settings = IngestionSettings.load()
    secret = settings.secrets(settings.shopify_webhook_secret)[0].decode()
    run_id = f"drill-{uuid.uuid4().hex[:8]}"
    events: list[str] = []

    def note(msg: str) -> None:
        events.append(f"{time.monotonic() - t0:6.1f}s {msg}")
        progress(msg)

    job = StreamingJob(stack)
    job.stop()
    t0 = time.monotonic()
    job.start("shopify_orders", checkpoint_interval, resume=True)
    note(f"streaming job started (pid {job.process.pid}), checkpoints every {checkpoint_interval}")
    batch = make_deliveries(deliveries, run_id, secret)
    note(f"{len(batch)} signed deliveries prepared ({run_id})")
    fault_at = len(batch) // 3
    injected = asyncio.Event()

    async def inject(report) -> None:
        if fault == "none" or injected.is_set() or report.sent < fault_at:
            return
        injected.set()
        # inject only once the job has committed part of this drill: the restart must then
        # restore real progress (offsets and Iceberg commits) from its checkpoint
        for _ in range(240):
            if (await asyncio.to_thread(count_raw, profile, run_id))[0] > 0:
                break
            await asyncio.sleep(0.5)
        if fault == "flink-kill":
            pid = job.process.pid
            note(f"kill -9 of the Flink job (pid {pid}) after {report.sent} deliveries")
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            await asyncio.sleep(1)
            job.process.pid_file.unlink(missing_ok=True)
            job.start("shopify_orders", checkpoint_interval, resume=True)
            note(f"Flink job restarted from its last checkpoint (pid {job.process.pid})")
        elif fault == "kafka-restart":
            kafka = Stack(stack).get("kafka")
            note(f"stopping the Kafka broker after {report.sent} deliveries")
            await asyncio.to_thread(kafka.process.stop)
            await asyncio.sleep(2)
            await asyncio.to_thread(Stack(stack).up, ["kafka"])
            note("Kafka broker back")

    async def send_all():
        tasks: list[asyncio.Task] = []

        def on_progress(report) -> None:
            if report.sent % 1000 == 0:
                progress(f"sent {report.sent}/{len(batch)} (accepted {report.accepted})")
            if not injected.is_set() and report.sent >= fault_at and fault != "none":
                tasks.append(asyncio.get_running_loop().create_task(inject(report)))

        result = await send_concurrently(profile.ingestion_url, batch, concurrency, on_progress=on_progress)
        await asyncio.gather(*tasks)
        return result

    try:
        report, accepted_ids = asyncio.run(send_all())
        note(f"sending done: {report.accepted} accepted, rejected {report.rejected}")
        deadline = time.monotonic() + settle_timeout
        rows = distinct = 0
        while time.monotonic() < deadline:
            rows, distinct = count_raw(profile, run_id)
            if distinct >= report.accepted:
                break
            time.sleep(2)
        # two more checkpoints: a duplicate, if any, would land now
        time.sleep(3 * float(checkpoint_interval.rstrip("s")) + 2)
        rows, distinct = count_raw(profile, run_id)
        note(f"raw.shopify_orders holds {rows} rows for {distinct} distinct delivery ids of this drill")
    finally:
        job.stop()
    return DrillResult(fault, report.sent, report.accepted, rows, distinct,
                       missing=report.accepted - distinct if distinct <= report.accepted else 0,
                       duplicates=rows - distinct, seconds=time.monotonic() - t0, events=events)
