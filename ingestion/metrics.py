"""Prometheus metrics of the webhook API, in a registry per app instance (tests build many apps).

Label values come from closed sets (provider names, our rejection reason codes, declared topics),
never from request data, so cardinality stays bounded.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "IngestionMetrics"]


class IngestionMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.accepted = Counter(
            "icefloe_webhooks_accepted", "Deliveries answered 2xx (every record acknowledged by Kafka)",
            ["provider"], registry=self.registry)
        self.records = Counter(
            "icefloe_webhook_records_published", "Kafka records acknowledged, by destination topic",
            ["provider", "topic"], registry=self.registry)
        self.duplicates = Counter(
            "icefloe_webhook_records_duplicate",
            "Records not re-published because this process already had them acknowledged",
            ["provider"], registry=self.registry)
        self.rejected = Counter(
            "icefloe_webhooks_rejected", "Deliveries refused, by provider and reason code",
            ["provider", "reason"], registry=self.registry)
        self.produce_seconds = Histogram(
            "icefloe_kafka_produce_seconds", "Time from produce() to the broker's acks=all acknowledgement",
            ["provider"], registry=self.registry,
            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.request_seconds = Histogram(
            "icefloe_webhook_request_seconds", "Time to answer a webhook delivery, by provider and status",
            ["provider", "status"], registry=self.registry,
            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))

    def render(self) -> bytes:
        return generate_latest(self.registry)
