"""Deliver generated webhooks to the ingestion API at a target rate, signed, retrying as providers do.

Each delivery is signed at send time with the provider's real scheme (`signing.py`); Stripe and
HubSpot signatures carry a timestamp the receiver checks for freshness, so a retry is signed anew
(and a HubSpot retry increments `attemptNumber`, as HubSpot does). 429 and 503 (and 502/504 or a
refused connection) are retried with exponential backoff and jitter, honouring `Retry-After`;
anything else is final. HubSpot events are batched into JSON arrays, as HubSpot sends them.

The pacer schedules delivery i at t0 + i/rate; a bounded queue feeds `concurrency` workers, so when
the API cannot keep up the achieved rate falls below the target instead of queueing without limit.

Speed (`benchmarks/simulator_speed.py`): the requests of a run are generated, serialised and signed
before the clock starts (up to `prepare_mb` of them; a signature older than `RESIGN_AFTER_S` at send
time is made anew, as Stripe and HubSpot reject stale ones), each worker keeps one connection of a
minimal HTTP/1.1 client (`http1.py`), and `processes` > 1 runs that many sender processes, each
with its share of the rate, and merges their progress and reports.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import multiprocessing
import queue as queue_mod
import random
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field, replace

import orjson

from icefloe.datagen import signing
from icefloe.datagen.http1 import Connection, HttpError, Target
from icefloe.datagen.scenarios import Generator

log = logging.getLogger(__name__)

PATHS = {"shopify": "/webhooks/shopify", "stripe": "/webhooks/stripe", "hubspot": "/webhooks/hubspot"}
RETRYABLE = frozenset({429, 502, 503, 504})
#: a request signed longer ago than this is signed again before it is sent (receivers allow 300 s)
RESIGN_AFTER_S = 120.0
#: sender process k replays the scenario with seed + k * SEED_STRIDE (its own delivery ids)
SEED_STRIDE = 1_000_003


@dataclass
class Outgoing:
    """One HTTP delivery: a Shopify or Stripe body, or a batch of HubSpot events."""

    provider: str
    provider_topic: str
    delivery_id: str
    body: bytes | list[dict]
    attempt: int = 0


@dataclass
class SimulatorConfig:
    target: str = "http://127.0.0.1:8090"
    rate: float = 500.0  # deliveries per second
    duration_s: float = 60.0
    max_deliveries: int | None = None  # stop after this many (whichever comes first)
    concurrency: int = 64  # requests in flight at most (all processes together)
    processes: int = 1  # sender processes, each with rate / processes
    prepare_mb: float = 256.0  # requests prepared before the clock starts, at most (all processes)
    providers: tuple[str, ...] = ("shopify", "stripe", "hubspot")
    max_retries: int = 4
    backoff_base_s: float = 0.25  # providers back off for minutes to hours; scaled down for tests
    backoff_max_s: float = 8.0
    timeout_s: float = 10.0
    hubspot_batch: int = 10
    record_ids: bool = False  # keep the delivery ids that were accepted (tests)
    scenario: str = "normal_day"
    scale: float = 1.0
    seed: int = 7

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be positive (got {self.rate}); e.g. --rate 500")
        if self.processes < 1 or self.concurrency < self.processes:
            raise ValueError(f"need 1 <= processes <= concurrency (got --processes {self.processes}, "
                             f"--concurrency {self.concurrency})")
        unknown = set(self.providers) - set(PATHS)
        if unknown:
            raise ValueError(
                f"unknown provider(s) {sorted(unknown)}; use --providers with {', '.join(PATHS)}"
            )
        self.target = self.target.rstrip("/")


@dataclass
class SimReport:
    sent: int = 0  # deliveries started (first attempts)
    attempts: int = 0  # HTTP requests, retries included
    accepted: int = 0  # deliveries that finally got a 2xx
    rejected: dict[int, int] = field(default_factory=dict)  # final non-2xx answers by status
    retried: int = 0
    gave_up: int = 0  # retryable failures that exhausted their retries
    errors: int = 0  # connection errors / timeouts (attempts)
    by_provider: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # the senders' CPU time while the clock ran (all processes)
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    accepted_ids: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (provider, delivery id)

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s else 0.0

    def counts(self) -> SimReport:
        """A copy without the per-request lists (what a sender process reports as progress)."""
        return replace(self, rejected=dict(self.rejected), by_provider=dict(self.by_provider),
                       latencies_ms=[], accepted_ids=[])

    @classmethod
    def merge(cls, reports: list[SimReport]) -> SimReport:
        """The report of several sender processes that ran side by side."""
        out = cls()
        for r in reports:
            for name in ("sent", "attempts", "accepted", "retried", "gave_up", "errors", "cpu_s"):
                setattr(out, name, getattr(out, name) + getattr(r, name))
            for total, part in ((out.rejected, r.rejected), (out.by_provider, r.by_provider)):
                for k, v in part.items():
                    total[k] = total.get(k, 0) + v
            out.elapsed_s = max(out.elapsed_s, r.elapsed_s)
            out.latencies_ms += r.latencies_ms
            out.accepted_ids += r.accepted_ids
        return out

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    def summary(self) -> dict:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": sum(self.rejected.values()),
            "gave_up": self.gave_up,
            "retried": self.retried,
            "attempts": self.attempts,
            "connection_errors": self.errors,
            "by_provider": self.by_provider,
            "elapsed_s": round(self.elapsed_s, 2),
            "achieved_rate": round(self.rate, 1),
            "sender_cpu_us_per_request": round(1e6 * self.cpu_s / self.attempts, 1) if self.attempts else None,
            "latency_ms_p50": round(self.percentile(0.5), 1),
            "latency_ms_p99": round(self.percentile(0.99), 1),
        }


def deliveries(cfg: SimulatorConfig) -> Iterator[Outgoing]:
    """Generated events as HTTP deliveries, in delivery order; a new seed when a run is used up."""
    seed = cfg.seed
    while True:
        batch: list = []
        for ev in Generator(cfg.scenario, cfg.scale, seed).events():
            if ev.provider not in cfg.providers:
                continue
            if ev.provider == "hubspot":
                batch.append(ev)
                if len(batch) >= cfg.hubspot_batch:
                    yield _hubspot_batch(batch)
                    batch = []
                continue
            yield Outgoing(ev.provider, ev.provider_topic, ev.delivery_id, ev.body_bytes())
        if batch:
            yield _hubspot_batch(batch)
        seed += 1


def _hubspot_batch(events: list) -> Outgoing:
    return Outgoing("hubspot", events[0].provider_topic, events[0].delivery_id, [ev.body for ev in events])


class Simulator:
    def __init__(
        self, cfg: SimulatorConfig, secrets: dict[str, str], source: Iterator[Outgoing] | None = None
    ) -> None:
        missing = [p for p in cfg.providers if not secrets.get(p)]
        if missing:
            raise ValueError(
                f"no signing secret for {', '.join(missing)}: set ICEFLOE_SHOPIFY_WEBHOOK_SECRET, "
                "ICEFLOE_STRIPE_WEBHOOK_SECRET, ICEFLOE_HUBSPOT_CLIENT_SECRET (or `icefloe local up`)"
            )
        self.cfg = cfg
        self.secrets = secrets
        self.target = Target.parse(cfg.target)
        self.source = source if source is not None else deliveries(cfg)
        self.report = SimReport()
        self._rng = random.Random(cfg.seed)

    def sign(self, d: Outgoing) -> tuple[str, bytes, dict[str, str]]:
        """Path, body bytes and headers for this attempt (signed now)."""
        path = PATHS[d.provider]
        if d.provider == "shopify":
            return (
                path,
                d.body,
                signing.shopify_headers(d.body, self.secrets["shopify"], d.provider_topic, d.delivery_id),
            )
        if d.provider == "stripe":
            return path, d.body, signing.stripe_headers(d.body, self.secrets["stripe"])
        events = (
            d.body
            if d.attempt == 0
            else [dict(e, attemptNumber=e["attemptNumber"] + d.attempt) for e in d.body]
        )
        body = orjson.dumps(events)
        return path, body, signing.hubspot_headers(body, self.secrets["hubspot"], self.cfg.target + path)

    def request(self, d: Outgoing) -> tuple[Outgoing, bytes, bytes, float]:
        """The delivery, its request head and body, signed now, and when (wall clock)."""
        signed_at = time.time()
        path, body, headers = self.sign(d)
        return d, self.target.request_head(path, headers, len(body)), body, signed_at

    def prepare(self, limit: int) -> list[tuple[Outgoing, bytes, bytes, float]]:
        """Up to `limit` requests (fewer once `prepare_mb` is used), generated and signed now."""
        out, budget = [], self.cfg.prepare_mb * 2**20
        for d in itertools.islice(self.source, limit):
            out.append(self.request(d))
            budget -= len(out[-1][1]) + len(out[-1][2])
            if budget <= 0:
                break
        return out

    async def _deliver(self, conn: Connection, d: Outgoing, head: bytes, body: bytes, signed_at: float) -> None:
        rep, cfg = self.report, self.cfg
        while True:
            if d.attempt or time.time() - signed_at > RESIGN_AFTER_S:
                _, head, body, signed_at = self.request(d)
            rep.attempts += 1
            t = time.perf_counter()
            retry_after = None
            try:
                response = await conn.post(head, body)
                status, retry_after = response.status, response.retry_after
            except HttpError as exc:
                log.debug("delivery %s attempt %d failed: %s", d.delivery_id, d.attempt, exc)
                status = 0
                rep.errors += 1
            rep.latencies_ms.append((time.perf_counter() - t) * 1000)
            if 200 <= status < 300:
                rep.accepted += 1
                if cfg.record_ids:
                    rep.accepted_ids.append((d.provider, d.delivery_id))
                return
            if (status in RETRYABLE or status == 0) and d.attempt < cfg.max_retries:
                d.attempt += 1
                rep.retried += 1
                delay = min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** (d.attempt - 1))
                delay = min(cfg.backoff_max_s, max(delay, retry_after or 0.0)) * self._rng.uniform(0.8, 1.2)
                await asyncio.sleep(delay)
                continue
            if status in RETRYABLE or status == 0:
                rep.gave_up += 1
            rep.rejected[status] = rep.rejected.get(status, 0) + 1
            return

    async def run(
        self,
        on_progress: Callable[[SimReport], None] | None = None,
        ready: Callable[[], None] | None = None,
    ) -> SimReport:
        """Send until the duration or `max_deliveries` is reached. `ready` is called once the
        requests are prepared, just before the clock starts (it may block: sender processes wait
        there for each other)."""
        cfg, rep = self.cfg, self.report
        planned = math.ceil(cfg.rate * cfg.duration_s)
        if cfg.max_deliveries is not None:
            planned = min(planned, cfg.max_deliveries)
        prepared = self.prepare(planned)
        lazy = (self.request(d) for d in self.source)  # beyond `prepare_mb`: prepared while sending
        if ready:
            ready()
        queue: asyncio.Queue[tuple | None] = asyncio.Queue(maxsize=cfg.concurrency * 2)

        async def worker() -> None:
            conn = Connection(self.target, cfg.timeout_s)
            try:
                while (item := await queue.get()) is not None:
                    await self._deliver(conn, *item)
            finally:
                conn.close()

        workers = [asyncio.create_task(worker()) for _ in range(cfg.concurrency)]
        t0 = last_progress = time.perf_counter()
        cpu0 = time.process_time()
        try:
            for i, item in enumerate(itertools.chain(prepared, lazy)):
                now = time.perf_counter()
                over = cfg.max_deliveries is not None and i >= cfg.max_deliveries
                if over or now - t0 >= cfg.duration_s or i >= cfg.rate * cfg.duration_s:
                    break
                wait = t0 + i / cfg.rate - now
                if wait > 0:
                    await asyncio.sleep(wait)
                await queue.put(item)
                rep.sent += 1
                provider = item[0].provider
                rep.by_provider[provider] = rep.by_provider.get(provider, 0) + 1
                if on_progress and now - last_progress > 0.5:
                    rep.elapsed_s = now - t0
                    on_progress(rep)
                    last_progress = now
        finally:
            # in-flight deliveries finish (or the error propagates) before the connections close
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        rep.elapsed_s = time.perf_counter() - t0
        rep.cpu_s = time.process_time() - cpu0
        if on_progress:
            on_progress(rep)
        return rep


def _event_loop_run(coro: Coroutine) -> SimReport:
    try:
        import uvloop  # a cheaper event loop: more of the CPU goes to the requests
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def shares(cfg: SimulatorConfig) -> list[SimulatorConfig]:
    """The configuration of each sender process: its share of the rate, the deliveries, the
    connections and the preparation memory, and a seed of its own (so its own delivery ids)."""
    n = cfg.processes
    out = []
    for k in range(n):
        limit = None if cfg.max_deliveries is None else cfg.max_deliveries // n + (k < cfg.max_deliveries % n)
        out.append(replace(cfg, processes=1, rate=cfg.rate / n, max_deliveries=limit,
                           concurrency=cfg.concurrency // n + (k < cfg.concurrency % n),
                           prepare_mb=cfg.prepare_mb / n, seed=cfg.seed + k * SEED_STRIDE))
    return out


def _sender(k: int, cfg: SimulatorConfig, secrets: dict[str, str], events, go) -> None:
    """One sender process: prepares, reports ready, waits for the common start, sends."""
    sim = Simulator(cfg, secrets)

    def ready() -> None:
        events.put(("ready", k, None))
        go.wait()

    try:
        report = _event_loop_run(sim.run(lambda rep: events.put(("progress", k, rep.counts())), ready))
    except KeyboardInterrupt:
        report = sim.report
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        events.put(("error", k, f"{type(exc).__name__}: {exc}"))
        return
    events.put(("done", k, report))


def run(
    cfg: SimulatorConfig, secrets: dict[str, str], on_progress: Callable[[SimReport], None] | None = None
) -> SimReport:
    """Run the simulator: in this process, or in `cfg.processes` sender processes whose progress
    and reports are merged (their clocks start together, once all have prepared their requests)."""
    if cfg.processes == 1:
        sim = Simulator(cfg, secrets)
        try:
            return _event_loop_run(sim.run(on_progress))
        except KeyboardInterrupt:
            return sim.report
    for part in shares(cfg):
        Simulator(part, secrets, source=iter(()))  # bad settings fail here, not in a child
    ctx = multiprocessing.get_context("spawn")
    events, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_sender, args=(k, part, secrets, events, go), daemon=True)
             for k, part in enumerate(shares(cfg))]
    for p in procs:
        p.start()
    progress: dict[int, SimReport] = {}
    done: dict[int, SimReport] = {}
    ready = 0
    interrupted_at = None
    try:
        while len(done) < len(procs):
            try:
                kind, k, payload = events.get(timeout=1.0)
            except queue_mod.Empty:
                dead = [k for k, p in enumerate(procs) if not p.is_alive() and k not in done]
                if dead:
                    raise RuntimeError(f"sender process(es) {dead} exited without a report") from None
                if interrupted_at and time.monotonic() - interrupted_at > 15:
                    break
                continue
            except KeyboardInterrupt:  # the children got it too: collect what they sent
                interrupted_at = time.monotonic()
                go.set()
                continue
            if kind == "error":
                raise RuntimeError(f"sender process {k} failed: {payload}")
            if kind == "ready":
                ready += 1
                if ready == len(procs):
                    go.set()
            elif kind == "progress":
                progress[k] = payload
                if on_progress:
                    on_progress(SimReport.merge(list(progress.values())))
            else:
                done[k] = payload
    finally:
        go.set()
        for p in procs:
            p.join(5 if len(done) == len(procs) else 0.1)
            if p.is_alive():
                p.terminate()
                p.join(5)
    report = SimReport.merge(list(done.values()))
    if on_progress:
        on_progress(report)
    return report
