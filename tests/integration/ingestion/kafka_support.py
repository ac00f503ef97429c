"""Reading back what the tests published: every record of a topic, and the records of one delivery."""

from __future__ import annotations

import time
import uuid


def consume(bootstrap: str, topic: str, timeout: float = 20.0) -> list:
    """Every record currently in `topic` (all partitions, from the beginning)."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-{uuid.uuid4()}", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
        c.assign([TopicPartition(topic, p, 0) for p in parts])
        out, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                c.position([TopicPartition(topic, p)])[0].offset < end for p, end in ends.items() if end > 0):
            msg = c.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append(msg)
        return out
    finally:
        c.close()


def by_delivery(msgs, delivery_id: str) -> list:
    return [m for m in msgs if dict(m.headers() or [])["delivery_id"] == delivery_id.encode()]
