"""Helpers of the API tests: an in-memory stand-in for Kafka (no broker runs in unit tests; the
real broker is exercised by tests/integration/ingestion) and settings with test secrets."""

from __future__ import annotations

from icefloe.ingestion.publisher import BrokerUnavailable, Published
from icefloe.ingestion.settings import IngestionSettings

SHOPIFY_SECRET = "shpss_test"
STRIPE_SECRET = "whsec_test"
HUBSPOT_SECRET = "hubspot-test-secret"


class RecordingPublisher:
    """Records what would be produced; `fail` = broker down; `fail_nth` = only the n-th record fails."""

    def __init__(self, fail: bool = False, fail_nth: int | None = None) -> None:
        self.records: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []
        self.fail, self.fail_nth, self.calls = fail, fail_nth, 0

    async def publish(self, topic, key, value, headers):
        self.calls += 1
        if self.fail or self.calls == self.fail_nth:
            raise BrokerUnavailable("down")
        self.records.append((topic, key, value, dict(headers)))
        return Published(topic, 0, len(self.records) - 1)

    def ready(self):
        return "down" if self.fail else None

    def close(self):
        pass


def make_settings(**overrides) -> IngestionSettings:
    values = dict(shopify_webhook_secret=SHOPIFY_SECRET, stripe_webhook_secret=STRIPE_SECRET,
                  hubspot_client_secret=HUBSPOT_SECRET, max_body_bytes=4096)
    values.update(overrides)
    return IngestionSettings(**values)
