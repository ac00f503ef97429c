"""The Managed Flink application (modules/stream_job/aws) starts the files `icefloe flink package`
puts in its zip: the run options' `python` and `jarfile` are entries of the zip it writes."""

from __future__ import annotations

import hashlib
import zipfile

import hcl
from icefloe.local.fetch import MAVEN_DIR

from icefloe.config import StackSettings
from icefloe.jobs import package_flink_app


def _run_options() -> dict:
    for rtype, _, body, _ in hcl.blocks_of(hcl.MODULES / "stream_job" / "aws", "resource"):
        if rtype == "aws_kinesisanalyticsv2_application":
            app = body["application_configuration"][0]["environment_properties"][0]
            for group in app["property_group"]:
                if group["property_group_id"][0] == "kinesis.analytics.flink.run.options":
                    return group["property_map"][0]
    raise AssertionError("no kinesis.analytics.flink.run.options property group")


def test_the_flink_application_runs_what_the_package_contains(tmp_path):
    stack = StackSettings(cache_dir=tmp_path / "cache")
    # Stand in for the Maven-built uber jar (its content does not matter here; building it takes minutes).
    pom = MAVEN_DIR / "flink-app" / "pom.xml"
    jar = (stack.cache_dir / "flink-app" / hashlib.sha256(pom.read_bytes()).hexdigest()[:12] / "target"
           / "icefloe-flink-app-0.1.0.jar")
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"jar")
    names = set(zipfile.ZipFile(package_flink_app(stack, tmp_path / "dist")).namelist())
    options = _run_options()
    assert options["python"] in names
    assert options["jarfile"] in names
