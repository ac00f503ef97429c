"""Every aws resource and data source the `aws` target writes is checked against the aws provider's
own schema (PyPI `cdktn-provider-aws`, generated from it): the type exists, every argument and
nested block is one the schema declares, and every required argument and block is present. The
provider binary (about 1.2 GB) cannot be built here; test_tofu_aws.py has OpenTofu validate the
workspace against the same schema through a stand-in provider, this test checks names and required
flags independently of OpenTofu (the HCL read by checkov's parser)."""

from __future__ import annotations

from pathlib import Path

import aws_schema
import hcl
import pytest
from tftools import TF_CACHE

META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}


@pytest.fixture(scope="module")
def schema(tools_bin):
    try:
        return aws_schema.load_schema(TF_CACHE, tools_bin / "python")
    except (RuntimeError, OSError, KeyError, ValueError) as exc:  # say how to fix
        pytest.fail(f"cannot read the aws schema from {aws_schema.PACKAGE} ({exc}); run `make tools-venv`")


def _check_block(body: dict, block: aws_schema.Block, where: str, top: bool = False) -> list[str]:
    errors = []
    present = {k for k in body if not k.startswith("__")}
    for key in sorted(present):
        if key in META_ARGUMENTS and top:
            continue
        if key == "dynamic":
            for dyn in body[key]:
                for name, dbody in dyn.items():
                    if name not in block.blocks:
                        errors.append(f"{where}: unknown dynamic block `{name}`")
                        continue
                    for content in dbody.get("content", []):
                        errors += _check_block(content, block.blocks[name][1], f"{where}.{name}")
            continue
        if key in block.attributes:
            continue
        if key in block.blocks:
            for nested in body[key]:
                if isinstance(nested, dict):
                    errors += _check_block(nested, block.blocks[key][1], f"{where}.{key}")
            continue
        errors.append(f"{where}: unknown argument `{key}`")
    dynamic_names = {n for dyn in body.get("dynamic", []) for n in dyn}
    for name, required in block.attributes.items():
        if required and name not in present:
            errors.append(f"{where}: missing required argument `{name}`")
    for name, (required, _) in block.blocks.items():
        if required and name not in present and name not in dynamic_names:
            errors.append(f"{where}: missing required block `{name}`")
    return errors


def check_resource(schema_by_type: dict, kind: str, rtype: str, name: str, body: dict) -> list[str]:
    key = rtype if kind == "resource" else f"data.{rtype}"
    if key not in schema_by_type:
        return [f"{key}.{name}: no such {kind} type in the aws provider"]
    return _check_block(body, schema_by_type[key], f"{key}.{name}", top=True)


def _aws_blocks():
    for directory in hcl.aws_dirs():
        for kind in ("resource", "data"):
            for rtype, name, body, src in hcl.blocks_of(directory, kind):
                if rtype.startswith("aws_"):
                    yield pytest.param(kind, rtype, name, body,
                                       id=f"{Path(src).parent.relative_to(hcl.TERRAFORM)}:{rtype}.{name}")


@pytest.mark.parametrize(("kind", "rtype", "name", "body"), list(_aws_blocks()))
def test_aws_block_matches_the_provider_schema(schema, kind, rtype, name, body):
    version, by_type = schema
    errors = check_resource(by_type, kind, rtype, name, body)
    assert not errors, f"against hashicorp/aws {version}:\n" + "\n".join(errors)


def test_every_aws_implementation_is_covered():
    dirs_with_blocks = {Path(p.id.split(":")[0]) for p in _aws_blocks()}
    expected = {d.relative_to(hcl.TERRAFORM) for d in hcl.aws_dirs()}
    assert dirs_with_blocks == expected


def _parse(text: str, tmp_path: Path) -> tuple[str, str, dict]:
    (tmp_path / "main.tf").write_text(text)
    return hcl.blocks_of(tmp_path, "resource")[0][:3]


def test_an_unknown_argument_is_rejected(schema, tmp_path):
    rtype, name, body = _parse('resource "aws_s3_bucket" "x" {\n  bucket = "b"\n  bucket_colour = "blue"\n}\n',
                               tmp_path)
    errors = check_resource(schema[1], "resource", rtype, name, body)
    assert errors == ["aws_s3_bucket.x: unknown argument `bucket_colour`"]


def test_a_missing_required_argument_is_rejected(schema, tmp_path):
    rtype, name, body = _parse('resource "aws_msk_topic" "x" {\n  name = "t"\n  partition_count = 1\n'
                               '  replication_factor = 1\n}\n', tmp_path)
    errors = check_resource(schema[1], "resource", rtype, name, body)
    assert errors == ["aws_msk_topic.x: missing required argument `cluster_arn`"]


def test_an_unknown_nested_argument_and_a_missing_required_block_are_rejected(schema, tmp_path):
    rtype, name, body = _parse(
        'resource "aws_s3_bucket_server_side_encryption_configuration" "x" {\n  bucket = "b"\n}\n'
        'resource "aws_s3_bucket_versioning" "y" {\n  bucket = "b"\n'
        '  versioning_configuration {\n    state = "Enabled"\n  }\n}\n', tmp_path)
    assert check_resource(schema[1], "resource", rtype, name, body) == [
        "aws_s3_bucket_server_side_encryption_configuration.x: missing required block `rule`"]
    rtype, name, body = hcl.blocks_of(tmp_path, "resource")[1][:3]
    assert check_resource(schema[1], "resource", rtype, name, body) == [
        "aws_s3_bucket_versioning.y.versioning_configuration: unknown argument `state`",
        "aws_s3_bucket_versioning.y.versioning_configuration: missing required argument `status`"]


def test_an_unknown_resource_type_is_rejected(schema):
    assert check_resource(schema[1], "resource", "aws_s3_bukket", "x", {}) == [
        "aws_s3_bukket.x: no such resource type in the aws provider"]
