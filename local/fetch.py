"""Fetch the stack's pinned artifacts from the package registries into the cache.

* Java components (Kafka, the Iceberg REST catalog, the Flink and Spark job jars): one Maven
  project per component under `local/maven/<component>/pom.xml`; its runtime dependencies are
  copied into `<cache>/jars/<component>-<hash of the pom>/`. Changing a pinned version changes the
  hash, so a stale cache is never reused.
* Go binaries (the S3 server): built from the Go module proxy into `<cache>/bin/`.

Every artifact is fetched into a temporary directory and renamed into place only when complete,
so an interrupted download is never mistaken for a good one: the next run starts it again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from icefloe import PROJECT_ROOT
from icefloe.local.errors import FetchError, JavaNotFoundError

log = logging.getLogger(__name__)

MAVEN_DIR = PROJECT_ROOT / "local" / "maven"
COMPLETE = ".complete"


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _run(argv: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 1800) -> None:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    except FileNotFoundError as exc:
        raise FetchError(f"{what}: `{argv[0]}` is not installed ({exc}); run `make setup`") from exc
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{what}: timed out after {timeout:.0f}s; run it again to resume") from exc
    if res.returncode != 0:
        out = (res.stdout + res.stderr).strip().splitlines()[-25:]
        raise FetchError(f"{what} failed (exit {res.returncode}):\n" + "\n".join(out))


def maven_jars(component: str, cache_dir: Path) -> list[Path]:
    """The runtime classpath of `local/maven/<component>/pom.xml`, fetched on first use."""
    pom = MAVEN_DIR / component / "pom.xml"
    if not pom.exists():
        raise FetchError(f"no Maven project for {component!r} at {pom}")
    target = cache_dir / "jars" / f"{component}-{_digest(pom)}"
    if not (target / COMPLETE).exists():
        log.info("fetching %s jars from Maven Central into %s", component, target)
        tmp = target.with_name(target.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        _run(
            ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
             f"-DoutputDirectory={tmp}", "-DincludeScope=runtime"],
            f"fetching {component} jars (mvn dependency:copy-dependencies -f {pom})",
        )
        (tmp / COMPLETE).write_text("ok\n")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    jars = sorted(target.glob("*.jar"))
    if not jars:
        raise FetchError(f"{target} holds no jars; delete it and run `icefloe local fetch` again")
    return jars


def maven_unpack(component: str, cache_dir: Path) -> Path:
    """Unpack the archives (tar.gz, zip) named in `local/maven/<component>/pom.xml`'s
    `maven-dependency-plugin` configuration into `<cache>/dist/<component>-<hash>/`, on first use.

    For distributions that are not a jar set (Trino's server tarball and plugin zips); the pom
    passes `${icefloe.out}` as each artifact item's output directory.
    """
    pom = MAVEN_DIR / component / "pom.xml"
    if not pom.exists():
        raise FetchError(f"no Maven project for {component!r} at {pom}")
    target = cache_dir / "dist" / f"{component}-{_digest(pom)}"
    if not (target / COMPLETE).exists():
        log.info("fetching the %s distribution from Maven Central into %s", component, target)
        tmp = target.with_name(target.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        _run(
            ["mvn", "-q", "-B", "-f", str(pom), "dependency:unpack", f"-Dicefloe.out={tmp}"],
            f"fetching the {component} distribution (mvn dependency:unpack -f {pom})",
        )
        (tmp / COMPLETE).write_text("ok\n")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target


def go_binary(name: str, package: str, version: str, cache_dir: Path,
              build_flags: tuple[str, ...] = ()) -> Path:
    """Build `package@version` from the Go module proxy into `<cache>/bin/<name>-<version>`."""
    out = cache_dir / "bin" / f"{name}-{version}"
    if out.exists() and os.access(out, os.X_OK):
        return out
    gobin = cache_dir / "bin" / f".{name}-{version}.partial"
    shutil.rmtree(gobin, ignore_errors=True)
    gobin.mkdir(parents=True)
    env = {**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0", "GOFLAGS": "-trimpath"}
    log.info("building %s %s from the Go module proxy (a few minutes on first run)", name, version)
    _run(["go", "install", *build_flags, f"{package}@{version}"], f"building {name} ({package}@{version})",
         env=env, timeout=3600)
    built = gobin / Path(package).name
    if not built.exists():
        raise FetchError(f"go install produced no {built}")
    built.rename(out)
    shutil.rmtree(gobin, ignore_errors=True)
    return out


def find_java(java_home: Path | None, minimum: int = 17, extra_homes: Iterable[Path] = (),
              fix: str | None = None) -> Path:
    """The `java` executable to use: `java_home` (ICEFLOE_JAVA_HOME), then JAVA_HOME, then PATH,
    then `extra_homes` in order; the first one of at least Java `minimum`.

    `fix` replaces the error's advice when none qualifies.
    """
    candidates: list[Path] = []
    if java_home:
        candidates.append(Path(java_home) / "bin" / "java")
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    candidates.extend(Path(h) / "bin" / "java" for h in extra_homes)
    for java in candidates:
        if not java.exists():
            continue
        version = java_major_version(java)
        if version is not None and version >= minimum:
            return java
        log.debug("%s is Java %s, need %d+", java, version, minimum)
    found = ", ".join(f"{j} (Java {java_major_version(j)})" for j in candidates if j.exists())
    raise JavaNotFoundError(
        f"Java {minimum} or later is required and was not found"
        + (f"; found only {found}" if found else "")
        + ". "
        + (fix or "Install it (`apt-get install openjdk-17-jre-headless`) or point ICEFLOE_JAVA_HOME at a JDK.")
    )


def java_major_version(java: Path) -> int | None:
    try:
        res = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', res.stderr)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major
