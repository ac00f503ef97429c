"""Reading the Terraform code with the `hcl2` parser (bc-python-hcl2, the python-hcl2 fork checkov
ships), in the shapes the tests need."""

from __future__ import annotations

from pathlib import Path

import hcl2

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
MODULES = TERRAFORM / "modules"
TARGETS = TERRAFORM / "targets"
CONCERNS = ("object_store", "stream", "catalog", "stream_job", "batch_jobs", "query", "orchestration",
            "ingestion_api")


def load_dir(directory: Path) -> dict[str, list]:
    """All top-level blocks of the .tf files in a directory, by block kind."""
    out: dict[str, list] = {}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as fh:
            parsed = hcl2.load(fh)
        for kind, blocks in parsed.items():
            for block in blocks:
                if isinstance(block, dict):
                    block = {**block, "__file__": str(tf)} if kind in ("resource", "data") else block
                out.setdefault(kind, []).append(block)
    return out


def variables(directory: Path) -> dict[str, dict]:
    return {name: body for block in load_dir(directory).get("variable", []) for name, body in block.items()}


def outputs(directory: Path) -> dict[str, dict]:
    return {name: body for block in load_dir(directory).get("output", []) for name, body in block.items()}


def blocks_of(directory: Path, kind: str) -> list[tuple[str, str, dict, str]]:
    """(type, name, body, file) of every `resource` or `data` block."""
    found = []
    for block in load_dir(directory).get(kind, []):
        src = block.get("__file__", "")
        for rtype, named in block.items():
            if rtype == "__file__":
                continue
            for name, body in named.items():
                found.append((rtype, name, body, src))
    return found


def aws_dirs() -> list[Path]:
    return [MODULES / c / "aws" for c in CONCERNS] + [TARGETS / "aws"]
