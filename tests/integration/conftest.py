"""The real local stack, started once per test session on ports of its own (so a developer's
running demo stack is left alone) with its state in a temporary directory, and stopped at the end."""

from __future__ import annotations

import os
import shutil
import time

import pytest

# ICEFLOE_TEST_PORT_OFFSET shifts every port (e.g. 10000), so two checkouts can run the suite at once.
_OFFSET = int(os.environ.get("ICEFLOE_TEST_PORT_OFFSET", "0"))
TEST_PORTS = {
    "ICEFLOE_POSTGRES_PORT": "16432",
    "ICEFLOE_S3_PORT": "17333",
    "ICEFLOE_KAFKA_PORT": "17092",
    "ICEFLOE_KAFKA_CONTROLLER_PORT": "17093",
    "ICEFLOE_CATALOG_PORT": "17181",
    "ICEFLOE_API_PORT": "17090",
    "ICEFLOE_TRINO_PORT": "17080",
}
TEST_PORTS = {k: str(int(v) + _OFFSET) for k, v in TEST_PORTS.items()}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """A healthy local stack (all services, bootstrapped). Yields the `Stack`."""
    from icefloe import PROJECT_ROOT
    from icefloe.config import StackSettings
    from icefloe.local.bootstrap import bootstrap
    from icefloe.local.stack import Stack

    # Not under pytest's tmp dir: that is mode 0700, and PostgreSQL runs as `nobody` when we are root.
    state = PROJECT_ROOT / ".icefloe-test"
    if state.exists():
        Stack(StackSettings(state_dir=state)).down()
        shutil.rmtree(state)
    saved = {k: os.environ.get(k) for k in [*TEST_PORTS, "ICEFLOE_STATE_DIR"]}
    os.environ.update(TEST_PORTS)
    os.environ["ICEFLOE_STATE_DIR"] = str(state)
    # Values of a developer's profile must not leak in: the test stack writes its own.
    for key in [k for k in os.environ if k.startswith("ICEFLOE_") and k not in saved]:
        saved[key] = os.environ.pop(key)
    s = Stack(StackSettings())
    t0 = time.monotonic()
    try:
        s.up()
        bootstrap(s.settings, progress=lambda *a: None)
        print(f"\nlocal stack healthy in {time.monotonic() - t0:.1f}s (state: {state})")
        yield s
    finally:
        s.down()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: Tests whose measurement needs tables no other test has written yet run first on the shared stack
#: (test_er_ground_truth scores every person record in staging against its own ground truth, and
#: drops its tables afterwards).
RUN_FIRST = ("test_er_ground_truth.py", "test_entity_resolution_job.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        name = item.path.name
        return RUN_FIRST.index(name) if name in RUN_FIRST else len(RUN_FIRST)

    items.sort(key=rank)  # stable: everything else keeps its order
