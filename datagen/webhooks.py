"""Small synchronous sender kept for scripts and the demo; the load simulator is `simulator.py`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson

from icefloe.datagen import signing
from icefloe.ingestion.providers import hubspot, stripe


@dataclass
class Delivery:
    path: str
    body: bytes
    headers: dict[str, str]
    delivery_id: str


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0
    rejected: dict[int, int] = field(default_factory=dict)


def shopify_delivery(topic: str, payload: dict, secret: str, delivery_id: str | None = None) -> Delivery:
    body = orjson.dumps(payload)
    delivery_id = delivery_id or str(uuid.uuid4())
    return Delivery(
        "/webhooks/shopify", body, signing.shopify_headers(body, secret, topic, delivery_id), delivery_id
    )


def stripe_delivery(event_type: str, obj: dict, secret: str, event_id: str | None = None,
                    timestamp: int | None = None) -> Delivery:
    """A Stripe event envelope around `obj`, signed like Stripe (`Stripe-Signature: t=,v1=`)."""
    event_id = event_id or f"evt_{uuid.uuid4().hex[:24]}"
    created = int(time.time()) if timestamp is None else timestamp
    payload = {"id": event_id, "object": "event", "api_version": "2026-10-28.clover", "created": created,
               "type": event_type, "livemode": False, "pending_webhooks": 1,
               "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Delivery("/webhooks/stripe", body, {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": stripe.signature_header(body, [secret.encode()], created),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }, event_id)


def hubspot_delivery(events: list[dict], secret: str, base_url: str = "http://127.0.0.1:8090",
                     timestamp_ms: int | None = None) -> Delivery:
    """A HubSpot batch (JSON array of events), signed with v3 for `base_url` + the endpoint path."""
    body = json.dumps(events, separators=(",", ":")).encode()
    path = "/webhooks/hubspot"
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    sig = hubspot.sign("v3", secret.encode(), body, "POST", base_url.rstrip("/") + path, ts)
    return Delivery(path, body, {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sig,
        "X-HubSpot-Request-Timestamp": str(ts),
    }, ",".join(str(e.get("eventId")) for e in events))


def send(
    base_url: str, deliveries: list[Delivery], on_progress: Callable[[SendReport], None] | None = None
) -> SendReport:
    report = SendReport()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for d in deliveries:
            r = client.post(d.path, content=d.body, headers=d.headers)
            report.sent += 1
            if 200 <= r.status_code < 300:
                report.accepted += 1
            else:
                report.rejected[r.status_code] = report.rejected.get(r.status_code, 0) + 1
            if on_progress:
                on_progress(report)
    return report


async def send_concurrently(base_url: str, deliveries: list[Delivery], concurrency: int = 16,
                            max_attempts: int = 20, on_progress=None) -> tuple[SendReport, list[str]]:
    """Send with `concurrency` requests in flight, retrying 429/503 and connection errors with
    backoff as providers do. Returns the report and the delivery ids that were accepted."""
    import asyncio

    report, accepted_ids = SendReport(), []
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for d in deliveries:
        queue.put_nowait(d)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                d = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            for attempt in range(max_attempts):
                try:
                    r = await client.post(d.path, content=d.body, headers=d.headers)
                    status = r.status_code
                except httpx.TransportError:
                    status = 599
                if status in (429, 503, 599) and attempt < max_attempts - 1:
                    await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
                    continue
                break
            report.sent += 1
            if 200 <= status < 300:
                report.accepted += 1
                accepted_ids.append(d.delivery_id)
            else:
                report.rejected[status] = report.rejected.get(status, 0) + 1
            if on_progress:
                on_progress(report)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return report, accepted_ids
