"""OpenTofu's own checks of terraform/ and the security scan, run on every `make test`:

* `tofu fmt -check` over the whole tree;
* `tofu validate` of the `local` workspace (its providers are built from the Go proxy into the mirror);
* checkov: no failed check, and every skipped check carries its reason in place.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tftools import TERRAFORM

TF_SH = TERRAFORM / "scripts" / "tf.sh"


def _run(args: list[str], env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", **(env or {})}, check=False)


def test_tofu_fmt_finds_nothing_to_reformat(tofu):
    for directory in (TERRAFORM, Path(__file__).parent):  # the tree and the test's .tftest.hcl
        done = _run([tofu, f"-chdir={directory}", "fmt", "-recursive", "-check", "-diff"])
        assert done.returncode == 0, f"run `tofu fmt -recursive {directory}`:\n{done.stdout}{done.stderr}"


def test_tofu_fmt_check_fails_on_badly_formatted_code(tofu, tmp_path):
    (tmp_path / "main.tf").write_text('locals {\n  a = 1\n  bb = 2\n}\n')
    assert _run([tofu, f"-chdir={tmp_path}", "fmt", "-check"]).returncode != 0


def test_the_local_workspace_validates(tofu, tmp_path):
    done = _run([TF_SH, "local", "validate", "-no-color"],
                env={"ICEFLOE_TF_DATA_DIR": str(tmp_path / "data"),
                     "ICEFLOE_TF_WORKSPACE_DIR": str(tmp_path / "states")})
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "The configuration is valid" in done.stdout


@pytest.fixture(scope="module")
def checkov_report(tools_bin) -> dict:
    done = _run([tools_bin / "checkov", "-d", TERRAFORM, "--framework", "terraform", "--compact",
                 "--skip-download", "-o", "json"], timeout=900)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON report ({done.returncode}):\n{done.stderr[-3000:]}")
    return report[0] if isinstance(report, list) else report


def test_checkov_finds_no_failed_check(checkov_report):
    failed = checkov_report["results"]["failed_checks"]
    assert not failed, "\n".join(f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']}): "
                                 f"{c['check_name']}" for c in failed)
    assert checkov_report["summary"]["parsing_errors"] == 0


def test_checkov_scanned_every_aws_implementation(checkov_report):
    scanned = {c["file_path"].lstrip("/") for c in checkov_report["results"]["passed_checks"]}
    expected = {p.relative_to(TERRAFORM).as_posix() for p in (TERRAFORM / "modules").glob("*/aws/main.tf")}
    assert expected <= scanned


def test_every_checkov_skip_gives_its_reason(checkov_report):
    skipped = checkov_report["results"]["skipped_checks"]
    unexplained = [f"{c['check_id']} {c['resource']}" for c in skipped
                   if len((c["check_result"].get("suppress_comment") or "").strip()) < 20]
    assert not unexplained, f"each `# checkov:skip=ID: <reason>` needs its reason: {unexplained}"


def test_the_scan_can_fail(tools_bin, tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket_public_access_block" "x" {\n'
                                      '  bucket = "b"\n  block_public_acls = false\n}\n')
    done = _run([tools_bin / "checkov", "-f", tmp_path / "main.tf", "--framework", "terraform", "--quiet",
                 "--compact", "--skip-download", "-o", "json"], timeout=600)
    assert done.returncode != 0 and "CKV_AWS_53" in done.stdout
