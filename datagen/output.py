"""Write a run to disk: JSON lines per topic, the ground truth, the CRM snapshot and a manifest.

<out>/<topic>.jsonl                 one delivery per line, in delivery order (see `Event.line`)
<out>/ground_truth/records.jsonl    every source record id -> its true person id (and company id)
<out>/ground_truth/people.jsonl     the people themselves (households, look-alikes, companies)
<out>/crm/hubspot.<kind>.jsonl      HubSpot CRM objects as the v3 objects API returns them at the end
<out>/manifest.json                 scenario, scale, seed, fault rates and counts
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from icefloe.datagen.scenarios import Generator

log = logging.getLogger(__name__)


def write_run(
    gen: Generator, out: Path, on_event: Callable[[int], None] | None = None, every: int = 5000
) -> dict:
    """Generate the whole run into `out` (created if needed); returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "ground_truth").mkdir(exist_ok=True)
    (out / "crm").mkdir(exist_ok=True)
    files: dict[str, object] = {}
    truth = (out / "ground_truth" / "records.jsonl").open("wb", buffering=1 << 20)
    gen.on_truth = lambda row: truth.write(orjson.dumps(row) + b"\n")
    faults: dict[str, int] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    try:
        for ev in gen.events():
            f = files.get(ev.topic)
            if f is None:
                f = files[ev.topic] = (out / f"{ev.topic}.jsonl").open("wb", buffering=1 << 20)
            f.write(ev.line() + b"\n")
            if ev.fault:
                faults[ev.fault] = faults.get(ev.fault, 0) + 1
            n += 1
            if on_event and n % every == 0:
                on_event(every)
    finally:
        for f in files.values():
            f.close()
        truth.close()
    if on_event:
        on_event(n % every)
    with (out / "ground_truth" / "people.jsonl").open("wb") as f:
        for row in gen.truth_people():
            f.write(orjson.dumps(row) + b"\n")
    for kind in ("contact", "company", "deal", "engagement"):
        with (out / "crm" / f"hubspot.{kind}.jsonl").open("wb") as f:
            for obj in gen.crm.snapshot(kind):
                f.write(orjson.dumps(obj) + b"\n")
    manifest = {
        "scenario": gen.scenario.name,
        "scale": gen.scale,
        "seed": gen.seed,
        "faults": dataclasses.asdict(gen.faults),
        "events": n,
        "per_topic": dict(sorted(gen.counts.items())),
        "fault_counts": faults,
        "people": len(gen.pop.people),
    }
    # timings stay out of the file: same scenario, scale and seed give byte-identical output
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    log.info("wrote %d events to %s", n, out)
    return {
        **manifest,
        "wall_s": round(time.perf_counter() - t0, 3),
        "cpu_s": round(time.process_time() - c0, 3),
    }
