"""Small generated runs shared by the datagen tests (generated once per session)."""

from __future__ import annotations

import pytest

from icefloe.datagen.scenarios import Generator

SCALE = 0.05


def _run(scenario: str, seed: int = 11) -> dict:
    truth: list[dict] = []
    gen = Generator(scenario, SCALE, seed, on_truth=truth.append)
    events = list(gen.events())
    return {"gen": gen, "events": events, "truth": truth}


@pytest.fixture(scope="session")
def runs() -> dict[str, dict]:
    return {name: _run(name) for name in ("normal_day", "flash_sale", "fraud_attack", "promotion_blast")}


@pytest.fixture(scope="session")
def normal_day(runs) -> dict:
    return runs["normal_day"]
