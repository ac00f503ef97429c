"""Where the Terraform toolchain lives: OpenTofu and the provider mirror (`make tf-tools`), the tools
venv (`make tools-venv`)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
TF_CACHE = Path(os.environ.get("ICEFLOE_TF_CACHE", Path.home() / ".cache" / "icefloe" / "terraform"))
TOOLS_VENV = ROOT / ".venv-tools"
