"""A real Kafka broker for the ingestion integration tests: the Kafka of the session's local stack
(tests/integration/conftest.py: its own ports and state), with the sources' topics created."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kafka(stack):
    """Yields (Stack, bootstrap servers); tests may stop and restart the broker (`stack.down(["kafka"])`)."""
    from icefloe.config import Profile
    from icefloe.local.bootstrap import create_topics

    bootstrap = f"{stack.settings.host}:{stack.settings.kafka_port}"
    create_topics(Profile(kafka_bootstrap_servers=bootstrap))
    yield stack, bootstrap
