"""Sign deliveries with each provider's real scheme and send them to the ingestion API."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import httpx

from icefloe.ingestion.providers import shopify


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
    body = json.dumps(payload, separators=(",", ":")).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    return Delivery("/webhooks/shopify", body, {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify.sign(body, secret.encode()),
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Shop-Domain": "icefloe-demo.myshopify.com",
        "X-Shopify-API-Version": "2026-10",
    }, delivery_id)


def send(base_url: str, deliveries: list[Delivery], on_progress=None) -> SendReport:
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
