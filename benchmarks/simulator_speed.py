"""The simulator's own ceiling: deliveries per second it can sign and send, against a loopback
server that answers 202 at once (in its own process), so the figure is the sender's, not the API's.

    .venv/bin/python benchmarks/simulator_speed.py [--rate 5000] [--duration 10] [--concurrency 64]

Compare with `icefloe simulate` against the real API: when the API's achieved rate is far below this
ceiling, the API is what saturates. Writes benchmarks/results/simulator_speed.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import time
from pathlib import Path

from icefloe.datagen.simulator import Simulator, SimulatorConfig


async def _accept_all(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 202, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"status":"accepted"}'})


def _serve(port: int) -> None:
    import uvicorn

    uvicorn.run(_accept_all, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        cfg = SimulatorConfig(
            target=f"http://127.0.0.1:{port}",
            rate=args.rate,
            duration_s=args.duration,
            concurrency=args.concurrency,
            scale=0.5,
        )
        secrets = {"shopify": "shpss_bench", "stripe": "whsec_bench", "hubspot": "hs-bench"}
        report = asyncio.run(Simulator(cfg, secrets).run())
    finally:
        server.terminate()
        server.join(10)
    result = {
        "target_rate": args.rate,
        "concurrency": args.concurrency,
        **report.summary(),
        "load_average_1m": round(__import__("os").getloadavg()[0], 1),
    }
    for k, v in result.items():
        print(f"{k:>20}: {v}")
    out = Path(__file__).parent / "results" / "simulator_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
