"""The Kafka record of one verified event: topic, key, value and headers.

One definition for every producer of raw records: the API (after the signature checked out) and
the bulk loader (`icefloe.bulk`, which feeds generated traffic straight to Kafka for benchmarks at
the million-event scale). Value = the event's bytes exactly as received; key = the object id
(the delivery id when the object has none); headers = delivery id, provider, provider topic,
received-at (epoch milliseconds) and, for the dead-letter topic, the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from icefloe.ingestion.providers.base import Event
from icefloe.sources import SourceCatalog, extract


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    #: why the record goes to the dead-letter topic (None: routed to its source's topic)
    dead_letter_reason: str | None = None


def _b(text: str) -> bytes:
    """Header/key bytes; a lone surrogate (valid as a JSON escape, not in UTF-8) is kept visibly escaped."""
    return text.encode("utf-8", "backslashreplace")


def kafka_record(catalog: SourceCatalog, ev: Event, received_at_ms: bytes) -> KafkaRecord:
    """Route `ev` by provider and provider topic to its source's Kafka topic, or to the dead-letter
    topic (still published: a verified delivery is never dropped)."""
    headers = [("delivery_id", _b(ev.delivery_id)), ("provider", _b(ev.provider)),
               ("provider_topic", _b(ev.provider_topic)), ("received_at", received_at_ms)]
    source = None if ev.dead_letter_reason else catalog.route(ev.provider, ev.provider_topic)
    if source is None:
        reason = ev.dead_letter_reason or "unrouted_topic"
        headers.append(("dead_letter_reason", reason.encode()))
        return KafkaRecord(catalog.dead_letter_topic, _b(ev.delivery_id), ev.value, headers, reason)
    object_id = extract(ev.doc, source.id_path)
    key = _b(str(object_id)) if object_id is not None else _b(ev.delivery_id)
    return KafkaRecord(source.topic, key, ev.value, headers)
