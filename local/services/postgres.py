"""PostgreSQL, the Iceberg REST catalog's JDBC backend.

Uses the server binaries of Debian's `postgresql` package (found under /usr/lib/postgresql/*/bin,
or ICEFLOE_POSTGRES_BIN_DIR). PostgreSQL refuses to run as root; when the stack runs as root the
server runs as the unprivileged `nobody` user via `setpriv`, owning only its data directory.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
from pathlib import Path

from icefloe.local.errors import ServiceStartError, StateCorruptedError
from icefloe.local.services.base import Service

DATABASE = "iceberg_catalog"
USER = "icefloe"
NOBODY = 65534


def find_bin_dir() -> Path:
    configured = os.environ.get("ICEFLOE_POSTGRES_BIN_DIR")
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True,
                                         text=True).stdout.strip())
    for c in candidates:
        if c and (Path(c) / "postgres").exists() and (Path(c) / "initdb").exists():
            return Path(c)
    raise ServiceStartError(
        "postgres: no PostgreSQL server binaries found. Install them with "
        "`apt-get install -y postgresql` (or `make setup`), or set ICEFLOE_POSTGRES_BIN_DIR."
    )


class Postgres(Service):
    name = "postgres"
    description = "PostgreSQL (Iceberg catalog backend)"
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for clients to disconnect

    @property
    def ports(self) -> dict[str, int]:
        return {"sql": self.stack.postgres_port}

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.stack.host}:{self.stack.postgres_port}/{DATABASE}"

    def _as_service_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]

    def fetch(self) -> None:
        self.bin_dir = find_bin_dir()

    def prepare(self) -> None:
        bin_dir = find_bin_dir()
        pgdata = self.data_dir
        if (pgdata / "PG_VERSION").exists():
            if not (pgdata / "global").is_dir() or not (pgdata / "postgresql.conf").exists():
                raise StateCorruptedError(
                    f"postgres: the data directory {pgdata} is incomplete (a previous initdb was "
                    f"interrupted?). Remove it with `icefloe local reset` to start afresh."
                )
            return
        if pgdata.exists() and any(pgdata.iterdir()):
            raise StateCorruptedError(
                f"postgres: {pgdata} exists but is not a PostgreSQL data directory; "
                f"remove it (`icefloe local reset`) or point ICEFLOE_STATE_DIR elsewhere."
            )
        pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for parent in pgdata.parents:
                if not os.stat(parent).st_mode & 0o001:
                    raise ServiceStartError(
                        f"postgres: PostgreSQL refuses to run as root, so it runs as `nobody`, which "
                        f"cannot enter {parent} (mode {oct(os.stat(parent).st_mode & 0o777)}). "
                        f"Set ICEFLOE_STATE_DIR to a directory outside it, or `chmod o+x {parent}`.")
            os.chown(pgdata, NOBODY, NOBODY)
        res = subprocess.run(
            [*self._as_service_user(), str(bin_dir / "initdb"), "-D", str(pgdata), "-U", USER,
             "--auth=trust", "--encoding=UTF8", "--no-instructions"],
            capture_output=True, text=True,
        )
        if res.returncode != 0:
            shutil.rmtree(pgdata, ignore_errors=True)
            raise ServiceStartError(f"postgres: initdb failed:\n{res.stdout}{res.stderr}")

    def argv(self) -> list[str]:
        return [
            *self._as_service_user(), str(find_bin_dir() / "postgres"), "-D", str(self.data_dir),
            "-h", self.stack.host, "-p", str(self.stack.postgres_port),
            "-c", "unix_socket_directories=", "-c", "max_connections=50",
            "-c", "shared_buffers=64MB", "-c", "fsync=on",
        ]

    def _psql(self, sql: str, db: str = "postgres") -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(find_bin_dir() / "psql"), "-h", self.stack.host, "-p", str(self.stack.postgres_port),
             "-U", USER, "-d", db, "-tAc", sql],
            capture_output=True, text=True, timeout=10,
        )

    def health(self) -> str | None:
        res = subprocess.run(
            [str(find_bin_dir() / "pg_isready"), "-h", self.stack.host, "-p",
             str(self.stack.postgres_port), "-U", USER, "-d", "postgres"],
            capture_output=True, text=True, timeout=10,
        )
        return None if res.returncode == 0 else (res.stdout.strip() or "not accepting connections")

    def post_start(self) -> None:
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists.stdout.strip() != "1":
            res = self._psql(f"CREATE DATABASE {DATABASE}")
            if res.returncode != 0:
                raise ServiceStartError(f"postgres: cannot create database {DATABASE}: {res.stderr}")
