"""The aws workspace checked by OpenTofu itself, offline: a schema-only stand-in for hashicorp/aws
(terraform/scripts/aws-schema-provider, built by `make tf-tools`) serves the provider's schema
exported from PyPI cdktn-provider-aws (aws_schema.build_provider_schema), installed in a private
filesystem mirror, so `tofu validate` and `tofu test` (mock_provider "aws") run on a copy of the tree.

Five nested blocks are typed `any` in the package (no schema to export: aws_wafv2_web_acl and
aws_wafv2_rule_group `rule.statement`, three QuickSight `definition`s); their content is accepted as
written (attributes typed as written), everything around them is checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hcl

STUB_VERSION = "6.69.1"  # the hashicorp/aws version cdktn-provider-aws 25.8.1 was generated from
_COPY = ("terraform", "jobs", "sql", "sources.yaml")
_SKIP = shutil.ignore_patterns(".terraform", "terraform.tfstate.d", ".terraform.lock.hcl", "__pycache__",
                               "*.pyc", "*.tfstate*")


def _as_written(schema: dict, body: dict) -> None:
    for key, value in body.items():
        if key.startswith("__"):
            continue
        if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            sub = schema["blocks"].setdefault(key, {"min": 0, "max": 0,
                                                    "block": {"attributes": {}, "blocks": {}}})
            for item in value:
                _as_written(sub["block"], item)
        else:  # the parser wraps every attribute value in a one-element list
            value = value[0] if isinstance(value, list) and len(value) == 1 else value
            schema["attributes"][key] = {"type": _type_of(value), "required": False, "optional": True,
                                         "computed": False}


def _type_of(value):
    """A concrete type for a value as written (the mock provider cannot generate `dynamic` ones
    inside list blocks)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return ["list", _type_of(value[0]) if value else "string"]
    if isinstance(value, dict):
        return ["map", "string"]
    return "string"


def _fill(schema: dict, body: dict) -> None:
    for key, value in body.items():
        nested = schema["blocks"].get(key)
        if nested is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                (_as_written if nested.get("opaque") else _fill)(nested["block"], item)


def schema_for_config(provider_schema: Path, out: Path) -> Path:
    """The provider schema with the opaque blocks filled in from the aws code as written."""
    schema = json.loads(provider_schema.read_text())
    for directory in hcl.aws_dirs():
        for kind, key in (("resource", "resources"), ("data", "data_sources")):
            for rtype, _, body, _ in hcl.blocks_of(directory, kind):
                if rtype in schema[key]:
                    _fill(schema[key][rtype], body)
    out.write_text(json.dumps(schema))
    return out


def workspace(root: Path, stub_binary: Path, tmp: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the tree, a mirror holding the stand-in as hashicorp/aws, a CLI configuration using
    only that mirror: (the copy's terraform/ directory, the environment for tofu)."""
    repo = tmp / "repo"
    for name in _COPY:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=_SKIP)
        else:
            shutil.copy2(src, repo / name)
    plugin_dir = tmp / "mirror" / "registry.opentofu.org" / "hashicorp" / "aws" / STUB_VERSION / "linux_amd64"
    plugin_dir.mkdir(parents=True)
    shutil.copy2(stub_binary, plugin_dir / f"terraform-provider-aws_v{STUB_VERSION}")
    cli_config = tmp / "tofurc"
    cli_config.write_text('provider_installation {\n  filesystem_mirror {\n'
                          f'    path    = "{tmp / "mirror"}"\n'
                          '    include = ["registry.opentofu.org/hashicorp/aws"]\n  }\n}\n')
    env = {"TF_CLI_CONFIG_FILE": str(cli_config), "TF_DATA_DIR": str(tmp / "tf-data"),
           "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    return repo / "terraform", env
