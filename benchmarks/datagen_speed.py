"""How fast the generator makes events: generation plus JSON-lines serialisation, one core.

    .venv/bin/python benchmarks/datagen_speed.py --events 1000000 [--scenario normal_day] [--seed 7]

Prints events per second (wall clock and CPU time; on a shared machine CPU time is the fair per-core
figure) and writes benchmarks/results/datagen_speed.json. Disk writes are left out: they measure the
disk, not the generator.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

from icefloe.datagen.scenarios import Generator

EVENTS_PER_SCALE = {
    "normal_day": 96_000,
    "flash_sale": 130_000,
    "fraud_attack": 130_000,
    "promotion_blast": 125_000,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="about this many events (sets the scale)")
    ap.add_argument("--scenario", default="normal_day", choices=sorted(EVENTS_PER_SCALE))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    scale = args.events / EVENTS_PER_SCALE[args.scenario]

    w0, c0 = time.perf_counter(), time.process_time()
    gen = Generator(args.scenario, scale, args.seed)
    setup_wall, setup_cpu = time.perf_counter() - w0, time.process_time() - c0

    w1, c1 = time.perf_counter(), time.process_time()
    n = nbytes = 0
    for ev in gen.events():
        nbytes += len(ev.line())
        n += 1
    wall, cpu = time.perf_counter() - w1, time.process_time() - c1
    total_cpu = cpu + setup_cpu
    result = {
        "scenario": args.scenario,
        "scale": round(scale, 3),
        "seed": args.seed,
        "events": n,
        "bytes": nbytes,
        "people": len(gen.pop.people),
        "setup_wall_s": round(setup_wall, 2),
        "setup_cpu_s": round(setup_cpu, 2),
        "generate_wall_s": round(wall, 2),
        "generate_cpu_s": round(cpu, 2),
        "events_per_s_wall": round(n / wall),
        "events_per_cpu_s": round(n / cpu),
        "events_per_cpu_s_incl_setup": round(n / total_cpu),
        "cpu_s_per_million_incl_setup": round(total_cpu / n * 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_1m": round(__import__("os").getloadavg()[0], 1),
    }
    for k, v in result.items():
        print(f"{k:>30}: {v}")
    out = Path(__file__).parent / "results" / "datagen_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
