"""The simulator's signed deliveries are accepted by the real ingestion API and land in Kafka.

Needs the local stack (at least `icefloe local up kafka api` with topics created). Only Shopify is
verified by the API on main today; Stripe and HubSpot signatures are covered by
tests/unit/datagen/test_signing.py and test_simulator.py against the providers' SDKs.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from icefloe.config import Profile
from icefloe.datagen.settings import DatagenSettings
from icefloe.datagen.simulator import Simulator, SimulatorConfig

pytestmark = pytest.mark.integration


def test_simulated_shopify_deliveries_are_accepted_and_published_to_kafka():
    from confluent_kafka import Consumer, TopicPartition

    settings = DatagenSettings.load()
    profile = Profile.load()
    try:
        ready = httpx.get(f"{settings.ingestion_url}/readyz", timeout=5)
    except httpx.TransportError as exc:
        pytest.fail(
            f"ingestion API not reachable at {settings.ingestion_url}: run `icefloe local up` ({exc})"
        )
    assert ready.status_code == 200, ready.text

    cfg = SimulatorConfig(
        target=settings.ingestion_url,
        rate=100,
        duration_s=60,
        max_deliveries=200,
        concurrency=16,
        providers=("shopify",),
        scale=0.05,
        seed=int(time.time()) % 100000,
        record_ids=True,
    )
    report = asyncio.run(Simulator(cfg, {"shopify": settings.secret("shopify")}).run())
    assert report.sent == 200
    assert report.accepted == 200 and not report.rejected, report.summary()

    # every accepted delivery is in Kafka, with its webhook id in the record headers
    wanted = {d for _, d in report.accepted_ids}
    consumer = Consumer(
        {
            "bootstrap.servers": profile.kafka_bootstrap_servers,
            "group.id": f"t-{time.time()}",
            "enable.auto.commit": False,
        }
    )
    try:
        parts = []
        for topic in ("shopify.orders", "shopify.customers", "shopify.products"):
            md = consumer.list_topics(topic, timeout=10).topics[topic]
            for p in md.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                parts.append(TopicPartition(topic, p, max(low, high - 5000)))
        consumer.assign(parts)
        deadline = time.monotonic() + 60
        while wanted and time.monotonic() < deadline:
            for msg in consumer.consume(500, timeout=1.0):
                if msg.error():
                    continue
                headers = dict(msg.headers() or [])
                wanted.discard(headers.get("delivery_id", b"").decode())
    finally:
        consumer.close()
    assert not wanted, f"{len(wanted)} accepted deliveries not found in Kafka"
