"""The simulator against a real HTTP server on loopback (uvicorn), whose endpoints verify each
delivery with the providers' SDKs and answer 503/429 on purpose to exercise the retries."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import orjson
import pytest
import stripe
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from hubspot.utils.signature import Signature

from icefloe.datagen import simulator
from icefloe.datagen.simulator import Simulator, SimulatorConfig
from icefloe.ingestion.providers import shopify as shopify_verifier

SECRETS = {"shopify": "shpss_sim", "stripe": "whsec_sim", "hubspot": "hs-sim-secret"}


class Receiver:
    def __init__(self, mode: str) -> None:
        self.mode = mode  # "flaky": every 3rd first attempt gets 503 | "reject" | "throttle"
        self.seen: dict[str, int] = {}
        self.bad_signatures = 0
        self.hubspot_attempts: list[int] = []
        self.port = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/{provider}")
        async def hook(provider: str, request: Request) -> JSONResponse:
            body = await request.body()
            h = request.headers
            if provider == "shopify":
                try:
                    key = shopify_verifier.verify(body, h, [SECRETS["shopify"].encode()]).delivery_id
                except Exception:  # noqa: BLE001
                    key, self.bad_signatures = None, self.bad_signatures + 1
            elif provider == "stripe":
                try:
                    stripe.WebhookSignature.verify_header(
                        body.decode(), h.get("stripe-signature"), SECRETS["stripe"], tolerance=300
                    )
                    key = orjson.loads(body)["id"]
                except stripe.SignatureVerificationError:
                    key, self.bad_signatures = None, self.bad_signatures + 1
            else:
                uri = f"http://127.0.0.1:{self.port}/webhooks/hubspot"
                ok = Signature.is_valid(
                    h.get("x-hubspot-signature-v3"),
                    SECRETS["hubspot"],
                    body.decode(),
                    uri,
                    "POST",
                    "v3",
                    h.get("x-hubspot-request-timestamp"),
                )
                events = orjson.loads(body)
                key = str(events[0]["eventId"]) if ok else None
                self.bad_signatures += not ok
                self.hubspot_attempts.extend(e["attemptNumber"] for e in events)
            if key is None:
                return JSONResponse({"error": "bad_signature"}, 401)
            n = self.seen[key] = self.seen.get(key, 0) + 1
            if self.mode == "reject":
                return JSONResponse({"error": "nope"}, 400)
            if self.mode == "throttle":
                return JSONResponse({"error": "slow down"}, 429, headers={"Retry-After": "0"})
            if n == 1 and len(self.seen) % 3 == 0:
                return JSONResponse({"error": "broker_unavailable"}, 503, headers={"Retry-After": "0"})
            return JSONResponse({"status": "accepted"}, 202)

        return app


@pytest.fixture
def receiver(request):
    rec = Receiver(request.param)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    rec.port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(rec.app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield rec
    server.should_exit = True
    thread.join(10)


def _run(rec: Receiver, n: int, **kw) -> object:
    cfg = SimulatorConfig(
        target=f"http://127.0.0.1:{rec.port}",
        rate=400,
        duration_s=30,
        max_deliveries=n,
        concurrency=8,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        scale=0.05,
        seed=3,
        hubspot_batch=5,
        **kw,
    )
    return asyncio.run(Simulator(cfg, SECRETS).run())


@pytest.mark.parametrize("receiver", ["flaky"], indirect=True)
def test_every_delivery_is_signed_correctly_and_retried_until_accepted(receiver):
    report = _run(receiver, 150)
    assert receiver.bad_signatures == 0
    assert report.sent == 150 and report.accepted == 150, report.summary()
    assert report.retried > 0 and not report.rejected
    assert set(report.by_provider) == {"shopify", "stripe", "hubspot"}
    # a retried HubSpot batch says so in its body, as HubSpot does
    assert 0 in receiver.hubspot_attempts


@pytest.mark.parametrize("receiver", ["reject"], indirect=True)
def test_a_4xx_answer_is_final_and_counted_as_rejected(receiver):
    report = _run(receiver, 20, providers=("shopify",))
    assert report.accepted == 0 and report.rejected == {400: 20} and report.retried == 0


@pytest.mark.parametrize("receiver", ["throttle"], indirect=True)
def test_a_delivery_throttled_for_good_gives_up_after_max_retries(receiver):
    report = _run(receiver, 5, providers=("stripe",), max_retries=2)
    assert report.gave_up == 5 and report.rejected == {429: 5} and report.attempts == 15


@pytest.mark.parametrize("receiver", ["flaky"], indirect=True)
def test_two_sender_processes_merge_their_reports_and_send_distinct_deliveries(receiver):
    cfg = SimulatorConfig(target=f"http://127.0.0.1:{receiver.port}", rate=400, duration_s=30, max_deliveries=101,
                          concurrency=8, processes=2, backoff_base_s=0.01, backoff_max_s=0.05, scale=0.05, seed=3,
                          hubspot_batch=5, record_ids=True)
    ticks = []
    report = simulator.run(cfg, SECRETS, ticks.append)
    assert receiver.bad_signatures == 0
    assert report.sent == 101 and report.accepted == 101 and report.retried > 0, report.summary()
    assert len(report.accepted_ids) == 101 and len(report.latencies_ms) == report.attempts
    assert ticks and ticks[-1].sent == 101
    # each process replays the scenario with a seed of its own: their first deliveries differ
    first = [next(simulator.deliveries(part)).delivery_id for part in simulator.shares(cfg)]
    assert len(set(first)) == 2


def test_shares_split_rate_deliveries_and_connections_exactly():
    cfg = SimulatorConfig(rate=1000, max_deliveries=1001, concurrency=65, processes=3, prepare_mb=90)
    parts = simulator.shares(cfg)
    assert sum(p.max_deliveries for p in parts) == 1001 and sum(p.concurrency for p in parts) == 65
    assert sum(p.rate for p in parts) == pytest.approx(1000) and {p.processes for p in parts} == {1}
    assert parts[0].seed == cfg.seed and len({p.seed for p in parts}) == 3


def test_requests_are_prepared_before_the_clock_up_to_the_memory_cap():
    cfg = SimulatorConfig(prepare_mb=0.5, scale=0.05, seed=3)
    prepared = Simulator(cfg, SECRETS).prepare(10_000)
    size = sum(len(head) + len(body) for _, head, body, _ in prepared)
    assert 0 < len(prepared) < 10_000 and 0.5 * 2**20 <= size < 0.5 * 2**20 + 200_000


@pytest.mark.parametrize("receiver", ["flaky"], indirect=True)
def test_a_request_prepared_too_long_ago_is_signed_again(receiver, monkeypatch):
    monkeypatch.setattr(simulator, "RESIGN_AFTER_S", -1.0)
    signed = []
    original = Simulator.request
    monkeypatch.setattr(Simulator, "request", lambda self, d: signed.append(d.delivery_id) or original(self, d))
    report = _run(receiver, 30, providers=("stripe",))
    assert report.accepted == 30 and receiver.bad_signatures == 0
    assert len(signed) >= 60  # once before the clock, again at send time
