"""Small synchronous sender kept for scripts and the demo; the load simulator is `simulator.py`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson

from icefloe.datagen import signing


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
