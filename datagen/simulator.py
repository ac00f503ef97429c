"""Deliver generated webhooks to the ingestion API at a target rate, signed, retrying as providers do.

Each delivery is signed at send time with the provider's real scheme (`signing.py`); Stripe and
HubSpot signatures carry a timestamp the receiver checks for freshness, so a retry is signed anew
(and a HubSpot retry increments `attemptNumber`, as HubSpot does). 429 and 503 (and 502/504 or a
refused connection) are retried with exponential backoff and jitter, honouring `Retry-After`;
anything else is final. HubSpot events are batched into JSON arrays, as HubSpot sends them.

The pacer schedules delivery i at t0 + i/rate; a bounded queue feeds `concurrency` workers, so when
the API cannot keep up the achieved rate falls below the target instead of queueing without limit.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import aiohttp
import orjson

from icefloe.datagen import signing
from icefloe.datagen.scenarios import Generator

log = logging.getLogger(__name__)

PATHS = {"shopify": "/webhooks/shopify", "stripe": "/webhooks/stripe", "hubspot": "/webhooks/hubspot"}
RETRYABLE = frozenset({429, 502, 503, 504})


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
    concurrency: int = 64
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
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    accepted_ids: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (provider, delivery id)

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s else 0.0

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

    async def _deliver(self, client: aiohttp.ClientSession, d: Outgoing) -> None:
        rep, cfg = self.report, self.cfg
        while True:
            path, body, headers = self.sign(d)
            rep.attempts += 1
            t = time.perf_counter()
            retry_after = None
            try:
                async with client.post(cfg.target + path, data=body, headers=headers) as r:
                    await r.read()
                    status = r.status
                    ra = r.headers.get("retry-after")
                    retry_after = float(ra) if ra and ra.replace(".", "", 1).isdigit() else None
            except (TimeoutError, aiohttp.ClientError) as exc:
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

    async def run(self, on_progress: Callable[[SimReport], None] | None = None) -> SimReport:
        cfg, rep = self.cfg, self.report
        queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=cfg.concurrency * 2)
        # aiohttp rather than httpx: httpcore's pool scans every connection per request, which caps a
        # 64-connection sender at a few hundred requests per second on this machine
        connector = aiohttp.TCPConnector(limit=cfg.concurrency)
        timeout = aiohttp.ClientTimeout(total=cfg.timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:

            async def worker() -> None:
                while (d := await queue.get()) is not None:
                    await self._deliver(client, d)

            workers = [asyncio.create_task(worker()) for _ in range(cfg.concurrency)]
            t0 = time.perf_counter()
            try:
                source = iter(self.source)
                first = next(source, None)  # the generator's set-up happens before the clock starts
                t0 = last_progress = time.perf_counter()
                for i, d in enumerate(itertools.chain([first] if first else [], source)):
                    now = time.perf_counter()
                    over = cfg.max_deliveries is not None and i >= cfg.max_deliveries
                    if over or now - t0 >= cfg.duration_s:
                        break
                    wait = t0 + i / cfg.rate - now
                    if wait > 0:
                        await asyncio.sleep(wait)
                    await queue.put(d)
                    rep.sent += 1
                    rep.by_provider[d.provider] = rep.by_provider.get(d.provider, 0) + 1
                    if on_progress and now - last_progress > 0.5:
                        rep.elapsed_s = now - t0
                        on_progress(rep)
                        last_progress = now
            finally:
                # in-flight deliveries finish (or the error propagates) before the session closes
                for _ in workers:
                    await queue.put(None)
                await asyncio.gather(*workers)
            rep.elapsed_s = time.perf_counter() - t0
        if on_progress:
            on_progress(rep)
        return rep


def run(
    cfg: SimulatorConfig, secrets: dict[str, str], on_progress: Callable[[SimReport], None] | None = None
) -> SimReport:
    return asyncio.run(Simulator(cfg, secrets).run(on_progress))
