"""Re-publish stored raw deliveries (Iceberg `raw.<source>_<object>`) into their Kafka topics.

Used after a downstream bug or a lost consumer state: the raw tables hold every accepted delivery
byte for byte (`payload`), with its delivery id, provider topic and received-at. Replayed records
carry the same key, value and headers as the original plus `replayed_at`, so staging, which keeps
one row per delivery id, absorbs them without double counting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from icefloe.sources import Source, SourceCatalog

log = logging.getLogger(__name__)

COLUMNS = ("object_id", "payload", "_webhook_id", "_webhook_topic", "_received_at")

#: produce(topic, key, value, headers); the real one is `KafkaSink`
Produce = Callable[[str, bytes | None, bytes, list[tuple[str, bytes]]], None]


@dataclass(frozen=True)
class RawDelivery:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass
class ReplayReport:
    selected: dict[str, int] = field(default_factory=dict)
    published: int = 0
    failed: int = 0


def _row_filter(since: datetime | None, until: datetime | None, delivery_ids: list[str] | None):
    from pyiceberg.expressions import AlwaysTrue, And, GreaterThanOrEqual, In, LessThan

    expr = AlwaysTrue()
    if since is not None:
        expr = And(expr, GreaterThanOrEqual("_received_at", since.isoformat()))
    if until is not None:
        expr = And(expr, LessThan("_received_at", until.isoformat()))
    if delivery_ids:
        expr = And(expr, In("_webhook_id", set(delivery_ids)))
    return expr


def read_raw(catalog, source: Source, since: datetime | None = None, until: datetime | None = None,
             delivery_ids: list[str] | None = None, limit: int | None = None) -> Iterator[RawDelivery]:
    """The stored deliveries of one source, oldest first, as Kafka records."""
    table = catalog.load_table(source.raw_table)
    arrow = table.scan(row_filter=_row_filter(since, until, delivery_ids), selected_fields=COLUMNS,
                       limit=limit).to_arrow().sort_by([("_received_at", "ascending")])
    replayed_at = str(int(time.time() * 1000)).encode()
    provider = source.source.encode()
    for row in arrow.to_pylist():
        received = row["_received_at"]
        received_ms = str(int(received.timestamp() * 1000)).encode() if received else b""
        yield RawDelivery(
            topic=source.topic,
            key=row["object_id"].encode() if row["object_id"] is not None else None,
            value=(row["payload"] or "").encode("utf-8"),
            headers=[("delivery_id", (row["_webhook_id"] or "").encode()), ("provider", provider),
                     ("provider_topic", (row["_webhook_topic"] or "").encode()), ("received_at", received_ms),
                     ("replayed_at", replayed_at)],
        )


def replay(catalog, sources: Iterable[Source], produce: Produce | None, since: datetime | None = None,
           until: datetime | None = None, delivery_ids: list[str] | None = None, limit: int | None = None,
           on_record: Callable[[RawDelivery], None] | None = None) -> ReplayReport:
    """Publish the selected raw deliveries (`produce=None` = dry run: count only)."""
    report = ReplayReport()
    for source in sources:
        n = 0
        for rec in read_raw(catalog, source, since, until, delivery_ids, limit):
            n += 1
            if produce is not None:
                produce(rec.topic, rec.key, rec.value, rec.headers)
            if on_record:
                on_record(rec)
        report.selected[source.name] = n
        log.info("%s: %d deliveries selected", source.raw_table, n)
    return report


class KafkaSink:
    """A synchronous, durable producer for replays (idempotent, `acks=all`); `close()` waits for all
    acknowledgements and returns how many records failed."""

    def __init__(self, bootstrap_servers: str, security_protocol: str = "PLAINTEXT") -> None:
        from confluent_kafka import Producer

        self.failed = 0
        self.acked = 0
        self._producer = Producer({"bootstrap.servers": bootstrap_servers, "security.protocol": security_protocol,
                                   "acks": "all", "enable.idempotence": True, "linger.ms": 20,
                                   "compression.type": "zstd", "client.id": "icefloe-replay"})

    def _report(self, err, msg) -> None:
        if err is not None:
            self.failed += 1
            log.error("replay of a record to %s failed: %s", msg.topic(), err)
        else:
            self.acked += 1

    def __call__(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=self._report)
                break
            except BufferError:
                self._producer.poll(0.5)
        self._producer.poll(0)

    def close(self, timeout: float = 60.0) -> int:
        remaining = self._producer.flush(timeout)
        return self.failed + remaining


def select_sources(catalog: SourceCatalog, names: list[str] | None) -> list[Source]:
    return [catalog.by_name(n) for n in names] if names else list(catalog.sources)
