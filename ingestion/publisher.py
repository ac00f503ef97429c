"""Durable publishing to Kafka: idempotent producer, `acks=all`, one awaitable per record.

The API answers 2xx only after the broker acknowledged the record; any failure to get that
acknowledgement within the timeout surfaces as `BrokerUnavailable` (the API answers 503).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from icefloe.ingestion.settings import IngestionSettings

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge the record (down, unreachable, or too slow)."""


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int


class KafkaPublisher:
    def __init__(self, settings: IngestionSettings) -> None:
        from confluent_kafka import Producer  # lazy: the CLI should not pay for it

        self.settings = settings
        timeout_ms = int(settings.produce_timeout_s * 1000)
        self._producer = Producer({
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "security.protocol": settings.kafka_security_protocol,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 2,
            "compression.type": "zstd",
            "message.timeout.ms": timeout_ms,
            "socket.connection.setup.timeout.ms": min(timeout_ms, 5000),
            "client.id": "icefloe-ingestion",
        })
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="kafka-poll", daemon=True)
        self._poller.start()

    def _poll_loop(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.1)

    async def publish(self, topic: str, key: bytes | None, value: bytes,
                      headers: list[tuple[str, bytes]]) -> Published:
        from confluent_kafka import KafkaException

        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Published] = loop.create_future()

        def settle(err, msg) -> None:  # runs on the poll thread
            def apply() -> None:
                if fut.done():
                    return
                if err is not None:
                    fut.set_exception(BrokerUnavailable(str(err)))
                else:
                    fut.set_result(Published(msg.topic(), msg.partition(), msg.offset()))
            loop.call_soon_threadsafe(apply)

        try:
            self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=settle)
        except BufferError as exc:
            raise BrokerUnavailable("producer queue is full") from exc
        except KafkaException as exc:
            raise BrokerUnavailable(str(exc)) from exc
        try:
            return await asyncio.wait_for(fut, timeout=self.settings.produce_timeout_s + 1)
        except asyncio.TimeoutError as exc:
            raise BrokerUnavailable("no acknowledgement from Kafka in time") from exc

    def ready(self, timeout: float = 2.0) -> str | None:
        """None when the cluster answers a metadata request, else the reason."""
        from confluent_kafka import KafkaException

        try:
            self._producer.list_topics(timeout=timeout)
        except KafkaException as exc:
            return str(exc)
        return None

    def close(self, timeout: float = 10.0) -> None:
        remaining = self._producer.flush(timeout)
        self._closed.set()
        if remaining:
            log.error("%d records were not acknowledged before shutdown", remaining)
