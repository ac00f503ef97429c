"""Exactly-once under faults: webhooks sent through the API while the streaming job runs, a
fault injected mid-stream, then raw counted by delivery id. The full-size drill (50,000
deliveries) is `icefloe drill`; here a smaller one keeps CI fast (ICEFLOE_DRILL_DELIVERIES)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.integration

N = int(os.environ.get("ICEFLOE_DRILL_DELIVERIES", "2000"))


@pytest.mark.parametrize("fault", ["flink-kill", "kafka-restart"])
def test_every_accepted_delivery_lands_in_raw_exactly_once_despite(stack, fault):
    from icefloe.drills import run_drill

    result = run_drill(stack.settings, deliveries=N, fault=fault, checkpoint_interval="2s")
    print("\n".join(result.events))
    assert result.accepted == N, f"the API must accept every delivery eventually: {result}"
    assert result.missing == 0, f"lost deliveries: {result}"
    assert result.duplicates == 0, f"doubled deliveries: {result}"
    assert result.exactly_once
