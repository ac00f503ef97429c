"""The aws provider's resource schema, read from the jsii assembly of PyPI `cdktn-provider-aws`.

The package is generated from the provider's own schema (`tofu providers schema -json`); its assembly
keeps, for every resource, a `<Resource>Config` struct whose properties are the resource's arguments:
`optional` is the schema's required flag, a property typed by another struct is a nested block, and
each property's docs link ends in the Terraform argument name (`...#server_side_encryption S3...`).
We turn that into a compact JSON schema, cached per package version under
~/.cache/icefloe/terraform (the assembly is 155 MB of JSON, the schema we keep is a few MB).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = "cdktn-provider-aws"
_RESOURCE_DOC = re.compile(r"docs/(resources|data-sources)/([a-z0-9_]+) aws_")
_ARG_DOC = re.compile(r"docs/(?:resources|data-sources)/[a-z0-9_]+#([a-z0-9_]+) ")
# Properties every construct config inherits (count, for_each, lifecycle...): not provider arguments.
_META_PREFIX = "cdktn."


@dataclass
class Block:
    """One schema block: its attributes and nested blocks, each with a required flag."""

    attributes: dict[str, bool] = field(default_factory=dict)  # name -> required
    blocks: dict[str, tuple[bool, Block]] = field(default_factory=dict)  # name -> (required, block)

    def to_json(self) -> dict:
        return {"attributes": self.attributes,
                "blocks": {k: [req, b.to_json()] for k, (req, b) in self.blocks.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Block:
        return cls(attributes=dict(data["attributes"]),
                   blocks={k: (req, cls.from_json(b)) for k, (req, b) in data["blocks"].items()})


def _struct_fqn(typ: dict) -> str | None:
    """The struct a property refers to (a nested block), or None for a plain attribute."""
    if "fqn" in typ:
        return None if typ["fqn"].startswith(_META_PREFIX) else typ["fqn"]
    if "collection" in typ:
        return _struct_fqn(typ["collection"]["elementtype"])
    if "union" in typ:
        for t in typ["union"]["types"]:
            found = _struct_fqn(t)
            if found:
                return found
    return None


def _arg_name(prop: dict) -> str | None:
    docs = prop.get("docs", {})
    for text in (docs.get("summary", ""), docs.get("remarks", "")):
        m = _ARG_DOC.search(text)
        if m:
            return m.group(1)
    return None


def _block(types: dict, fqn: str, depth: int = 0) -> Block:
    block = Block()
    if depth > 12:  # recursive schemas (rare) are cut off deep below anything we write
        return block
    for prop in types[fqn].get("properties", []):
        name = _arg_name(prop)
        if name is None:
            continue
        required = not prop.get("optional", False)
        nested = _struct_fqn(prop["type"])
        if nested and nested in types and types[nested].get("datatype"):
            block.blocks[name] = (required, _block(types, nested, depth + 1))
        else:
            block.attributes[name] = required
    return block


def _build(assembly: dict) -> dict[str, dict]:
    types = assembly["types"]
    schema: dict[str, dict] = {}
    for typ in types.values():
        if typ.get("kind") != "class":
            continue
        m = _RESOURCE_DOC.search(typ.get("docs", {}).get("summary", ""))
        # The constructor's `config` parameter names the struct (usually <Resource>Config, but
        # suffixed where names clash, e.g. Wafv2WebAclAssociationConfigA).
        params = typ.get("initializer", {}).get("parameters", [])
        config = next((p["type"].get("fqn") for p in params if p.get("name") == "config"), None)
        if m and config in types:
            prefix = "" if m.group(1) == "resources" else "data."
            schema[f"{prefix}aws_{m.group(2)}"] = _block(types, config).to_json()
    return schema


def build_cache(cache_dir: Path) -> Path:
    """The cached schema file of the installed `cdktn-provider-aws`, built on first use (run in the
    tools venv, where the package is installed: `python aws_schema.py <cache_dir>`)."""
    version = metadata.version(PACKAGE)
    cached = cache_dir / f"aws-schema-v3-cdktn-{version}.json"
    if not cached.exists():
        # Located through the distribution's file list: importing the package would start its
        # node.js runtime and load the whole assembly into it (minutes).
        dist = metadata.distribution(PACKAGE)
        tgz = next(Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(".jsii.tgz"))
        with tarfile.open(tgz) as tar:
            assembly = json.load(tar.extractfile("package/.jsii"))
        provider_version = re.search(r"hashicorp/aws/([0-9.]+)/", json.dumps(assembly.get("readme", ""))
                                     + json.dumps(assembly["types"].get(
                                         "@cdktn/provider-aws.s3Bucket.S3Bucket", {})))
        data = {"provider_version": provider_version.group(1) if provider_version else "unknown",
                "resources": _build(assembly)}
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(cached)
        log.info("aws schema cached at %s (%d resources)", cached, len(data["resources"]))
    return cached


def load_schema(cache_dir: Path, tools_python: Path) -> tuple[str, dict[str, Block]]:
    """(provider version, resource type -> schema). The package lives in the tools venv (it is
    155 MB and pins jsii's runtime), so its interpreter builds or finds the cache file.

    Resources are keyed by type (`aws_s3_bucket`), data sources by `data.<type>`."""
    done = subprocess.run([str(tools_python), __file__, str(cache_dir)], capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the aws schema from {PACKAGE} failed:\n{done.stderr[-2000:]}")
    data = json.loads(Path(done.stdout.strip().splitlines()[-1]).read_text())
    return data["provider_version"], {k: Block.from_json(v) for k, v in data["resources"].items()}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.stdout.write(f"{build_cache(Path(sys.argv[1]))}\n")
