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


# ---- the full provider schema, for the schema-only stand-in provider (terraform/scripts/aws-schema-provider)
# Attribute types follow the jsii property types; nested structs are blocks (a single struct: at most
# one; an array: a list); class getters that are no argument are the computed-only attributes.
_MAP_TYPES = {"cdktn.StringMap": ["map", "string"], "cdktn.NumberMap": ["map", "number"],
              "cdktn.BooleanMap": ["map", "bool"], "cdktn.StringListMap": ["map", ["list", "string"]],
              "cdktn.NumberListMap": ["map", ["list", "number"]]}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _cty(typ: dict):
    """The cty type (JSON form) of a jsii type reference; "dynamic" where jsii does not say."""
    if "primitive" in typ:
        return {"string": "string", "number": "number", "boolean": "bool"}.get(typ["primitive"], "dynamic")
    if "collection" in typ:
        kind = "list" if typ["collection"]["kind"] == "array" else "map"
        return [kind, _cty(typ["collection"]["elementtype"])]
    if "union" in typ:
        options = [t for t in typ["union"]["types"] if t.get("fqn") != "cdktn.IResolvable"]
        return _cty(options[0]) if len(options) == 1 else "dynamic"
    return _MAP_TYPES.get(typ.get("fqn", ""), "dynamic")


def _nested(types: dict, typ: dict) -> tuple[str, int] | None:
    """(struct fqn, max items) when the property is a nested block, else None."""
    if "union" in typ:
        for t in typ["union"]["types"]:
            found = _nested(types, t)
            if found:
                return found
        return None
    if "collection" in typ and typ["collection"]["kind"] == "array":
        inner = _nested(types, typ["collection"]["elementtype"])
        return (inner[0], 0) if inner else None
    fqn = typ.get("fqn")
    if fqn and not fqn.startswith(_META_PREFIX) and types.get(fqn, {}).get("datatype"):
        return fqn, 1
    return None


def _full_block(types: dict, fqn: str, getters: list[dict] | None = None, depth: int = 0) -> dict:
    block: dict = {"attributes": {}, "blocks": {}}
    if depth > 12:
        return block
    arg_names = set()
    for prop in types[fqn].get("properties", []):
        name = _arg_name(prop) or _snake(prop["name"])
        arg_names.add(prop["name"])
        required = not prop.get("optional", False)
        nested = _nested(types, prop["type"])
        if prop["type"].get("primitive") in ("any", "json"):
            # A nested block the package does not describe (WAF rule statements, QuickSight
            # definitions): marked opaque; aws_stub.py accepts its content as written.
            block["blocks"][name] = {"min": 1 if required else 0, "max": 0, "opaque": True,
                                     "block": {"attributes": {}, "blocks": {}}}
        elif nested:
            block["blocks"][name] = {"min": 1 if required else 0, "max": nested[1],
                                     "block": _full_block(types, nested[0], None, depth + 1)}
        else:
            block["attributes"][name] = {"type": _cty(prop["type"]), "required": required,
                                         "optional": not required, "computed": not required}
    for prop in getters or []:
        name = prop["name"]
        if prop.get("static") or name.endswith("Input") or name in arg_names:
            continue
        snake = _snake(name)
        if snake not in block["blocks"] and snake not in block["attributes"]:
            block["attributes"][snake] = {"type": _cty(prop["type"]), "required": False, "optional": False,
                                          "computed": True}
    return block


def _build_full(assembly: dict) -> dict:
    types = assembly["types"]
    out: dict = {"resources": {}, "data_sources": {}}
    for typ in types.values():
        if typ.get("kind") != "class":
            continue
        params = typ.get("initializer", {}).get("parameters", [])
        config = next((p["type"].get("fqn") for p in params if p.get("name") == "config"), None)
        if config not in types:
            continue
        m = _RESOURCE_DOC.search(typ.get("docs", {}).get("summary", ""))
        if m:
            kind = "resources" if m.group(1) == "resources" else "data_sources"
            out[kind][f"aws_{m.group(2)}"] = _full_block(types, config, typ.get("properties", []))
    out["provider"] = _full_block(types, "@cdktn/provider-aws.provider.AwsProviderConfig")
    out["provider"]["attributes"].pop("alias", None)
    return out


def _read_assembly() -> dict:
    # Located through the distribution's file list: importing the package would start its
    # node.js runtime and load the whole assembly into it (minutes).
    dist = metadata.distribution(PACKAGE)
    tgz = next(Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(".jsii.tgz"))
    with tarfile.open(tgz) as tar:
        return json.load(tar.extractfile("package/.jsii"))


def build_provider_schema(cache_dir: Path) -> Path:
    """The whole provider schema (types and computed attributes too) for the stand-in provider."""
    version = metadata.version(PACKAGE)
    cached = cache_dir / f"aws-provider-schema-v1-cdktn-{version}.json"
    if not cached.exists():
        data = _build_full(_read_assembly())
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(cached)
        log.info("aws provider schema cached at %s (%d resources, %d data sources)", cached,
                 len(data["resources"]), len(data["data_sources"]))
    return cached


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


def provider_schema_file(cache_dir: Path, tools_python: Path) -> Path:
    """The stand-in provider's schema file, built by the tools venv's interpreter if missing."""
    done = subprocess.run([str(tools_python), __file__, "--provider", str(cache_dir)], capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the aws provider schema from {PACKAGE} failed:\n{done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    if sys.argv[1] == "--provider":
        sys.stdout.write(f"{build_provider_schema(Path(sys.argv[2]))}\n")
    else:
        sys.stdout.write(f"{build_cache(Path(sys.argv[1]))}\n")
