"""The job files run in their own virtualenvs and are not part of the `icefloe` package; the
tests load them by path (their heavy imports, pyflink and pyspark, are lazy)."""

import importlib.util
import sys

import pytest

from icefloe import PROJECT_ROOT


def load(path, name):
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))


@pytest.fixture(scope="session")
def runner():
    return load(PROJECT_ROOT / "jobs" / "flink" / "runner.py", "icefloe_flink_runner")


@pytest.fixture(scope="session")
def spark_common():
    return load(PROJECT_ROOT / "jobs" / "spark" / "icefloe_spark.py", "icefloe_spark")


@pytest.fixture(scope="session")
def layers(spark_common):
    return load(PROJECT_ROOT / "jobs" / "spark" / "layers.py", "icefloe_layers")


@pytest.fixture(scope="session")
def staging(spark_common):
    return load(PROJECT_ROOT / "jobs" / "spark" / "staging.py", "icefloe_staging")


@pytest.fixture(scope="session")
def entity_resolution(spark_common):
    return load(PROJECT_ROOT / "jobs" / "spark" / "entity_resolution.py", "icefloe_entity_resolution")
