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
    """`duplicates` counts Kafka records written to Iceberg more than once (what exactly-once
    forbids); `redelivered` counts deliveries that reached Kafka twice because a sender retried
    after a 503 whose record the broker had in fact kept (at-least-once at the edge, which
    staging removes by delivery id) and is reported, not failed."""

    fault: str
    sent: int
    accepted: int
    rows: int
    distinct: int
    missing: int
    duplicates: int
    seconds: float
    redelivered: int = 0
    events: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return self.missing == 0 and self.duplicates == 0 and self.distinct == self.accepted


def make_deliveries(n: int, run_id: str, secret: str):
    from icefloe.datagen import shopify
    from icefloe.datagen.webhooks import shopify_delivery

    pool = shopify.orders(min(n, 200), seed=99)
    out = []
    for i in range(n):
        body = copy.copy(pool[i % len(pool)])
        body["id"] = 6_000_000_000_000_000 + i  # fits a signed 64-bit integer
        body["order_number"] = 500_000 + i
        out.append(shopify_delivery("orders/create", body, secret, delivery_id=f"{run_id}-{i:07d}"))
    return out


def count_raw(profile: Profile, prefix: str) -> tuple[int, int, int]:
    """(rows, distinct delivery ids, distinct Kafka positions) in raw.shopify_orders for this drill."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.expressions import StartsWith

    try:
        table = load_catalog("icefloe", **profile.pyiceberg_properties()).load_table("raw.shopify_orders")
    except NoSuchTableError:  # the streaming job creates it when it starts
        return 0, 0, 0
    rows = table.scan(row_filter=StartsWith("_webhook_id", prefix),
                      selected_fields=("_webhook_id", "_kafka_partition", "_kafka_offset")).to_arrow()
    ids = rows.column("_webhook_id").to_pylist()
    positions = set(zip(rows.column("_kafka_partition").to_pylist(), rows.column("_kafka_offset").to_pylist()))
    return len(ids), len(set(ids)), len(positions)


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

    async def inject() -> None:
        if fault == "flink-kill":
            pid = job.process.pid
            note(f"kill -9 of the Flink job (pid {pid}) while deliveries keep arriving")
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            await asyncio.sleep(1)
            job.process.pid_file.unlink(missing_ok=True)
            job.start("shopify_orders", checkpoint_interval, resume=True)
            note(f"Flink job restarted from its last checkpoint (pid {job.process.pid})")
        elif fault == "kafka-restart":
            kafka = Stack(stack).get("kafka")
            note("stopping the Kafka broker while deliveries keep arriving (the API answers 503, senders retry)")
            await asyncio.to_thread(kafka.process.stop)
            await asyncio.sleep(2)
            await asyncio.to_thread(Stack(stack).up, ["kafka"])
            note("Kafka broker back")

    def on_progress(report) -> None:
        if report.sent % 1000 == 0:
            progress(f"sent {report.sent} (accepted {report.accepted})")

    async def send_all():
        # a third first; once part of it is committed to Iceberg (the restart must then restore
        # real progress), the fault and the other two thirds go together
        first, ids_first = await send_concurrently(profile.ingestion_url, batch[:fault_at], concurrency,
                                                   on_progress=on_progress)
        note(f"first {fault_at} deliveries sent; waiting for the first of them to be committed")
        for _ in range(600):
            if (await asyncio.to_thread(count_raw, profile, run_id))[0] > 0:
                break
            await asyncio.sleep(0.5)
        fault_task = asyncio.create_task(inject())
        rest, ids_rest = await send_concurrently(profile.ingestion_url, batch[fault_at:], concurrency,
                                                 on_progress=on_progress)
        await fault_task
        first.sent += rest.sent
        first.accepted += rest.accepted
        for code, n in rest.rejected.items():
            first.rejected[code] = first.rejected.get(code, 0) + n
        return first, ids_first + ids_rest

    try:
        report, accepted_ids = asyncio.run(send_all())
        note(f"sending done: {report.accepted} accepted, rejected {report.rejected}")
        deadline = time.monotonic() + settle_timeout
        rows = distinct = positions = 0
        while time.monotonic() < deadline:
            rows, distinct, positions = count_raw(profile, run_id)
            if distinct >= report.accepted:
                break
            time.sleep(2)
        # two more checkpoints: a duplicate, if any, would land now
        time.sleep(3 * float(checkpoint_interval.rstrip("s")) + 2)
        rows, distinct, positions = count_raw(profile, run_id)
        note(f"raw.shopify_orders holds {rows} rows for {distinct} distinct delivery ids "
             f"({positions} distinct Kafka positions) of this drill")
    finally:
        job.stop()
    return DrillResult(fault, report.sent, report.accepted, rows, distinct,
                       missing=len(set(accepted_ids)) - distinct if distinct <= len(set(accepted_ids)) else 0,
                       duplicates=rows - positions, seconds=time.monotonic() - t0,
                       redelivered=positions - distinct, events=events)
