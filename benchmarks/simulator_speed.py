"""How fast the simulator sends, and whether it saturates the ingestion API.

    # the sender's own ceiling, against a loopback sink that answers 202 at once (its own process)
    .venv/bin/python benchmarks/simulator_speed.py [--rates 6000] [--processes 1 2] [--duration 10]

    # against the real API of a running stack (`icefloe local up kafka api`): a rate sweep, with the
    # API's CPU (from /proc, the pid from the stack's pid file) and its latency per step
    .venv/bin/python benchmarks/simulator_speed.py --api [--rates 500 1000 1500 2500] [--processes 2]

Per run: target and achieved rate, accepted/s, latency p50/p99, the senders' CPU per request (load
independent), and with --api the API's CPU in cores (1.0 = one core, all a single uvicorn worker can
use: the API is saturated there, and latency rises while the achieved rate stops growing). The load
average is printed with every run. Writes benchmarks/results/simulator_speed.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import time
from pathlib import Path

from ingestion_throughput import cpu_seconds  # same folder: benchmarks/

from icefloe.config import StackSettings
from icefloe.datagen import simulator
from icefloe.datagen.settings import DatagenSettings
from icefloe.datagen.simulator import SimulatorConfig

RESULTS = Path(__file__).resolve().parent / "results" / "simulator_speed.json"
ANSWER = b'HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 21\r\n\r\n{"status":"accepted"}'


class _Sink(asyncio.Protocol):
    """Reads whole requests (Content-Length) and answers each with 202: as cheap as a server gets."""

    def connection_made(self, transport) -> None:
        self.transport, self.buf = transport, bytearray()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buf[:end]).lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buf) < end + 4 + length:
                return
            del self.buf[: end + 4 + length]
            self.transport.write(ANSWER)


def _serve(port: int) -> None:
    import uvloop

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Sink, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


def api_pid(stack: StackSettings) -> int:
    pid_file = stack.run_dir / "api.pid"
    if not pid_file.exists():
        raise SystemExit(f"no API pid file at {pid_file}: start the stack (`icefloe local up kafka api`) "
                         "with the same ICEFLOE_ ports as this shell")
    return int(json.loads(pid_file.read_text())["pid"])


def one_run(cfg: SimulatorConfig, secrets: dict[str, str], pid: int | None) -> dict:
    """One simulator run; the API's CPU is sampled around the sending (the preparation is excluded)."""
    marks: dict[str, float] = {}

    def tick(rep) -> None:  # first progress tick: the clock runs (0.5 s in)
        if pid and "cpu0" not in marks:
            marks["cpu0"], marks["t0"] = cpu_seconds(pid), time.perf_counter()

    report = simulator.run(cfg, secrets, tick)
    if pid and "cpu0" in marks:
        # the last tick comes after the in-flight requests finished; measure up to here
        api_cores = (cpu_seconds(pid) - marks["cpu0"]) / (time.perf_counter() - marks["t0"])
    else:
        api_cores = None
    latencies = sorted(report.latencies_ms)
    return {
        "target_rate": cfg.rate,
        "processes": cfg.processes,
        "concurrency": cfg.concurrency,
        **report.summary(),
        "accepted_per_s": round(report.accepted / report.elapsed_s, 1) if report.elapsed_s else 0.0,
        "latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "api_cpu_cores": round(api_cores, 2) if api_cores is not None else None,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api", action="store_true", help="send to the running stack's API, not the sink")
    ap.add_argument("--rates", type=float, nargs="+", default=None, help="target rates (deliveries/s)")
    ap.add_argument("--processes", type=int, nargs="+", default=None)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    rates = args.rates or ([500, 1000, 1500, 2500] if args.api else [6000])
    processes = args.processes or ([2] if args.api else [1, 2])

    server, pid = None, None
    if args.api:
        stack = StackSettings()
        settings = DatagenSettings.load()
        target, pid = settings.ingestion_url, api_pid(stack)
        secrets = {p: settings.secret(p) for p in ("shopify", "stripe", "hubspot")}
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
        server.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        target = f"http://127.0.0.1:{port}"
        secrets = {"shopify": "shpss_bench", "stripe": "whsec_bench", "hubspot": "hs-bench"}
    runs = []
    seed = int(time.time()) % 10_000_000  # fresh delivery ids on every invocation too
    try:
        for n in processes:
            for rate in rates:
                seed += 10  # fresh delivery ids every run: the API's duplicate memory must not answer
                cfg = SimulatorConfig(target=target, rate=rate, duration_s=args.duration, concurrency=args.concurrency,
                                      processes=n, seed=seed, backoff_base_s=0.05, backoff_max_s=1.0)
                r = one_run(cfg, secrets, pid)
                runs.append(r)
                print(f"processes={n} target {rate:>6.0f}/s: sent {r['achieved_rate']:>7.1f}/s accepted "
                      f"{r['accepted_per_s']:>7.1f}/s p50 {r['latency_ms_p50']:>6.1f} ms p95 {r['latency_ms_p95']:>6.1f} ms "
                      f"p99 {r['latency_ms_p99']:>6.1f} ms sender {r['sender_cpu_us_per_request']} CPU-us/req"
                      + (f" API {r['api_cpu_cores']} cores" if pid else "")
                      + f" rejected {r['rejected']} retried {r['retried']} load {r['load_average_1m']}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.join(10)
    result = {"target": "api" if args.api else "loopback sink", "duration_s": args.duration, "runs": runs,
              "cpus": os.cpu_count()}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
