"""A real Kafka broker for the ingestion integration tests: the local stack's Kafka on the ports
of the current `ICEFLOE_` environment, started here (and stopped afterwards) unless it already runs.
Topics come from sources.yaml (the same bootstrap as `icefloe local up`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kafka():
    """Yields (Stack, bootstrap servers) with the sources' topics created."""
    from icefloe.config import Profile, StackSettings
    from icefloe.local.bootstrap import create_topics
    from icefloe.local.stack import Stack

    stack = Stack(StackSettings())
    svc = stack.get("kafka")
    we_start = svc.health() is not None
    if we_start:
        stack.up(["kafka"])
    bootstrap = f"{stack.settings.host}:{stack.settings.kafka_port}"
    create_topics(Profile(kafka_bootstrap_servers=bootstrap))
    try:
        yield stack, bootstrap
    finally:
        if we_start:
            stack.down(["kafka"])
