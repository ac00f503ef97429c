"""The Terraform tests' helpers (hcl.py, aws_schema.py) are plain modules beside the tests.

The tools they drive are built by the make targets `make test` depends on, never skipped: OpenTofu
and the local providers (`make tf-tools`, cached under ~/.cache/icefloe/terraform) and the tools venv
(`make tools-venv`: checkov and the aws provider schema package). A missing tool fails the test with
the command that provides it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tftools import TF_CACHE, TOOLS_VENV


@pytest.fixture(scope="session")
def tofu() -> Path:
    path = TF_CACHE / "bin" / "tofu"
    if not os.access(path, os.X_OK):
        pytest.fail(f"OpenTofu is not built ({path}): run `make tf-tools` (cached after the first build)")
    return path


@pytest.fixture(scope="session")
def tools_bin() -> Path:
    """bin/ of the tools venv (checkov, the python that has cdktn-provider-aws)."""
    bin_dir = TOOLS_VENV / "bin"
    if not (bin_dir / "checkov").exists():
        pytest.fail(f"the tools venv is missing ({TOOLS_VENV}): run `make tools-venv`")
    return bin_dir
