"""Clear errors before anything starts: a wrong Java, a damaged state directory, a half-done
download. Each message names what to do."""

import os
import stat

import pytest

from icefloe.config import StackSettings
from icefloe.local.errors import FetchError, JavaNotFoundError, StateCorruptedError
from icefloe.local.fetch import find_java, java_major_version, maven_jars


def fake_java(tmp_path, version: str):
    home = tmp_path / f"jdk{version}"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2025-01-01\' >&2\n')
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return home


def test_java_version_is_read_from_java_dash_version(tmp_path):
    assert java_major_version(fake_java(tmp_path, "21.0.2") / "bin" / "java") == 21
    assert java_major_version(fake_java(tmp_path, "1.8.0_392") / "bin" / "java") == 8


def test_too_old_java_is_refused_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_java(tmp_path, "11.0.1") / "bin"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(JavaNotFoundError) as exc:
        find_java(None)
    assert "Java 17 or later" in str(exc.value) and "ICEFLOE_JAVA_HOME" in str(exc.value)
    assert "Java 11" in str(exc.value)


def test_configured_java_home_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_java(tmp_path, "11.0.1") / "bin"))
    home = fake_java(tmp_path, "25")
    assert find_java(home) == home / "bin" / "java"


def test_missing_maven_project_is_named(tmp_path):
    with pytest.raises(FetchError, match="no Maven project"):
        maven_jars("no-such-component", tmp_path)


def test_an_interrupted_jar_download_is_not_taken_for_a_complete_one(tmp_path, monkeypatch):
    """A fetch directory without its completion marker is fetched again (mvn is stubbed to fail
    here, so the retry is visible as the error)."""
    from icefloe.local import fetch

    target = tmp_path / "jars"
    monkeypatch.setattr(fetch, "_run", lambda *a, **k: (_ for _ in ()).throw(FetchError("mvn was called")))
    comp_dir = target / f"kafka-{fetch._digest(fetch.MAVEN_DIR / 'kafka' / 'pom.xml')}"
    comp_dir.mkdir(parents=True)
    (comp_dir / "half.jar").write_text("")  # jars present, but no .complete marker
    with pytest.raises(FetchError, match="mvn was called"):
        maven_jars("kafka", tmp_path)


def test_damaged_postgres_state_asks_for_a_reset(tmp_path):
    from icefloe.local.services.postgres import Postgres

    pg = Postgres(StackSettings(state_dir=tmp_path))
    pg.data_dir.mkdir(parents=True)
    (pg.data_dir / "PG_VERSION").write_text("15\n")  # initdb interrupted: no global/, no conf
    with pytest.raises(StateCorruptedError, match="icefloe local reset"):
        pg.prepare()


def test_kafka_state_without_its_cluster_id_is_reported(tmp_path, monkeypatch):
    from icefloe.local.services.kafka import Kafka

    kafka = Kafka(StackSettings(state_dir=tmp_path))
    (kafka.data_dir / "logs").mkdir(parents=True)
    (kafka.data_dir / "logs" / "meta.properties").write_text("cluster.id=x\n")
    with pytest.raises(StateCorruptedError, match="icefloe local reset"):
        kafka.prepare()


@pytest.mark.skipif(os.geteuid() != 0, reason="the `nobody` path check applies when running as root")
def test_postgres_state_dir_nobody_cannot_enter_is_explained(tmp_path):
    from icefloe.local.errors import ServiceStartError
    from icefloe.local.services.postgres import Postgres

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    pg = Postgres(StackSettings(state_dir=locked / "state"))
    with pytest.raises(ServiceStartError, match="ICEFLOE_STATE_DIR"):
        pg.prepare()
