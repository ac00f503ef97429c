"""Every concern has one interface: its `local` and `aws` implementations declare the same variables
(names and types) and the same outputs, and both targets implement the same target interface. The
module conventions (files, described variables and outputs) are checked here too."""

from __future__ import annotations

import hcl
import pytest

REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


def _interface(directory):
    return ({k: v.get("type") for k, v in hcl.variables(directory).items()},
            sorted(hcl.outputs(directory)))


@pytest.mark.parametrize("concern", hcl.CONCERNS)
def test_local_and_aws_implementations_share_one_interface(concern):
    local = _interface(hcl.MODULES / concern / "local")
    aws = _interface(hcl.MODULES / concern / "aws")
    assert local[0] == aws[0], f"{concern}: variables differ between local/ and aws/"
    assert local[1] == aws[1], f"{concern}: outputs differ between local/ and aws/"
    assert "profile" in local[1], f"{concern}: every concern outputs its part of the runtime profile"


def test_both_targets_implement_the_same_interface():
    assert _interface(hcl.TARGETS / "local") == _interface(hcl.TARGETS / "aws")


@pytest.mark.parametrize("concern", hcl.CONCERNS)
def test_each_module_has_the_standard_files_and_a_readme(concern):
    assert (hcl.MODULES / concern / "README.md").is_file()
    for target in ("local", "aws"):
        for name in REQUIRED_FILES:
            assert (hcl.MODULES / concern / target / name).is_file(), f"{concern}/{target}/{name} missing"


@pytest.mark.parametrize("directory", [hcl.MODULES / c / t for c in hcl.CONCERNS for t in ("local", "aws")]
                         + [hcl.TARGETS / "local", hcl.TARGETS / "aws", hcl.TERRAFORM],
                         ids=lambda p: str(p.relative_to(hcl.TERRAFORM)) or "root")
def test_variables_are_typed_and_described_and_outputs_described(directory):
    for name, body in hcl.variables(directory).items():
        assert body.get("type") and body.get("description"), f"variable {name} in {directory}"
    for name, body in hcl.outputs(directory).items():
        assert body.get("description"), f"output {name} in {directory}"


@pytest.mark.parametrize("concern", hcl.CONCERNS)
def test_the_aws_implementation_calls_its_main_resource_this(concern):
    directory = hcl.MODULES / concern / "aws"
    names = {name for _, name, _, _ in hcl.blocks_of(directory, "resource")}
    assert "this" in names, f"{concern}/aws has no resource named `this`"
