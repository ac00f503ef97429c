"""The aws workspace checked by OpenTofu itself, offline (see aws_stub.py): `tofu validate` against
the aws provider's schema served by the schema-only stand-in, and `tofu test` (aws_plan.tftest.hcl)
planning and "applying" every resource with `mock_provider "aws"`, asserting the runtime profile.

What the stand-in cannot check: the provider's own validation functions (value ranges, ARN formats,
cross-argument rules) and anything AWS decides at apply time."""

from __future__ import annotations

import os
import shutil
import subprocess

import aws_schema
import aws_stub
import pytest
from tftools import ROOT, TF_CACHE

HERE = ROOT / "tests" / "terraform"


@pytest.fixture(scope="module")
def stub(tofu, tools_bin, tmp_path_factory):
    binary = TF_CACHE / "bin" / "icefloe-aws-schema-provider"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"the aws schema-only provider is not built ({binary}): run `make tf-tools`")
    base = tmp_path_factory.mktemp("tf-aws")
    schema = aws_stub.schema_for_config(aws_schema.provider_schema_file(TF_CACHE, tools_bin / "python"),
                                        base / "aws-schema.json")
    terraform, env = aws_stub.workspace(ROOT, binary, base)
    env["ICEFLOE_AWS_STUB_SCHEMA"] = str(schema)

    def run(*args: str, cwd=terraform, timeout: float = 900) -> subprocess.CompletedProcess:
        data_dir = {} if cwd == terraform else {"TF_DATA_DIR": str(cwd / ".terraform")}
        return subprocess.run([str(tofu), f"-chdir={cwd}", *args, "-no-color"],
                              env={**os.environ, **env, **data_dir}, capture_output=True, text=True,
                              timeout=timeout, check=False)

    return terraform, run


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def aws_workspace(stub):
    terraform, run = stub
    # `icefloe flink package` writes the application zip there (aws.tfvars); any file does for a plan.
    (terraform.parent / "dist").mkdir(exist_ok=True)
    (terraform.parent / "dist" / "icefloe-flink-app.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    _ok(run("init", "-input=false", "-var-file=aws.tfvars"))
    _ok(run("workspace", "select", "-or-create", "aws"))
    return terraform, run


def test_the_aws_workspace_validates_against_the_provider_schema(aws_workspace):
    _, run = aws_workspace
    assert "The configuration is valid" in _ok(run("validate", "-var-file=aws.tfvars"))


def test_validation_rejects_an_unknown_argument_a_wrong_type_and_a_missing_required_one(stub, tmp_path):
    _, run = stub
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'resource "aws_s3_bucket" "x" {\n  bucket_colour = "blue"\n}\n'
        'resource "aws_s3_bucket_versioning" "y" {\n  bucket = ["a", "list"]\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
        'resource "aws_msk_topic" "z" {\n  name = "t"\n  partition_count = 1\n  replication_factor = 1\n}\n')
    _ok(run("init", "-input=false", cwd=tmp_path))
    done = run("validate", cwd=tmp_path)
    out = " ".join((done.stdout + done.stderr).split())  # messages are wrapped
    assert done.returncode != 0
    assert 'An argument named "bucket_colour" is not expected here' in out
    assert "Inappropriate value for attribute \"bucket\"" in out
    assert 'The argument "cluster_arn" is required' in out


def test_the_aws_workspace_plans_and_applies_with_a_mocked_provider(aws_workspace):
    terraform, run = aws_workspace
    # mock_provider replaces provider configurations of the root module only; the aws target
    # configures its provider itself, so for this test its provider block moves to the root.
    shutil.move(terraform / "targets" / "aws" / "providers.tf", terraform / "providers_aws.tf")
    (terraform / "tests").mkdir(exist_ok=True)
    shutil.copy(HERE / "aws_plan.tftest.hcl", terraform / "tests" / "aws_plan.tftest.hcl")
    _ok(run("init", "-input=false", "-var-file=aws.tfvars"))
    out = _ok(run("test", "-var-file=aws.tfvars"))
    assert "1 passed, 0 failed" in out
