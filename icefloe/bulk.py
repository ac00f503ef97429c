"""Bulk load: generated traffic straight into Kafka, as the API would have published it.

For benchmarks at the million-event scale, where pushing every delivery through HTTP (about
2,000 a second on this machine) would take longer than the layers being measured. The records are
the API's own (`icefloe.ingestion.records.kafka_record`: same topic, key, value bytes and
headers; HubSpot bodies split per element by the same code); what is skipped is the signature
check and the HTTP hop, which the ingestion tests and benchmarks cover. Producer: idempotent,
`acks=all`; `produce` raises if any record was not acknowledged.

    from icefloe.bulk import produce
    stats = produce(events, StackSettings())   # events: icefloe.datagen Event iterable
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson

from icefloe.config import Profile, StackSettings
from icefloe.datagen.common import Event as Generated
from icefloe.ingestion.providers import hubspot, shopify, stripe
from icefloe.ingestion.providers.base import Event, VerifiedDelivery
from icefloe.ingestion.records import kafka_record
from icefloe.ingestion.replay import KafkaSink
from icefloe.sources import load_sources

log = logging.getLogger(__name__)


@dataclass
class BulkStats:
    deliveries: int = 0
    records: int = 0
    seconds: float = 0.0
    by_topic: Counter = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def ingestion_events(ev: Generated) -> list[Event]:
    """What the API makes of the delivery `ev` once verified (a HubSpot body: a batch of one)."""
    body = ev.body_bytes()
    if ev.provider == "shopify":
        return shopify.events(body, orjson.loads(body), VerifiedDelivery("shopify", ev.provider_topic, ev.delivery_id))
    if ev.provider == "stripe":
        return stripe.events(body, orjson.loads(body))
    if ev.provider == "hubspot":
        batch = b"[" + body + b"]"
        return hubspot.events(batch, orjson.loads(batch))
    raise ValueError(f"unknown provider {ev.provider!r}")


def produce(events: Iterable[Generated], stack: StackSettings | None = None,
            progress: Callable[[int], None] | None = None, every: int = 100_000) -> BulkStats:
    """Publish every generated delivery's records to the stack's Kafka; `progress(deliveries)` is
    called every `every` deliveries. Received-at is the wall clock, as in the API."""
    profile = Profile.load(stack or StackSettings())
    catalog = load_sources()
    sink = KafkaSink(profile.kafka_bootstrap_servers)
    stats = BulkStats()
    t0 = time.monotonic()
    for ev in events:
        received_at = str(int(time.time() * 1000)).encode()
        for item in ingestion_events(ev):
            rec = kafka_record(catalog, item, received_at)
            sink(rec.topic, rec.key, rec.value, rec.headers)
            stats.records += 1
            stats.by_topic[rec.topic] += 1
        stats.deliveries += 1
        if progress and stats.deliveries % every == 0:
            progress(stats.deliveries)
    failed = sink.close(timeout=300)
    stats.seconds = time.monotonic() - t0
    if failed:
        raise RuntimeError(f"{failed} of {stats.records} records were not acknowledged by Kafka "
                           f"({profile.kafka_bootstrap_servers}); see `icefloe local logs kafka`")
    log.info("bulk-produced %d records (%d deliveries) in %.1fs", stats.records, stats.deliveries, stats.seconds)
    return stats
