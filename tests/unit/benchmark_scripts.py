"""A script of benchmarks/ loaded as a module for its tests (the scripts are not a package)."""

import importlib.util

from icefloe import PROJECT_ROOT


def load_benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
