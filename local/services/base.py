"""What every local service provides: its ports, a first-start preparation, a command line and
a health check. The stack (`icefloe.local.stack`) does the starting, waiting and stopping."""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from pathlib import Path

from icefloe.config import StackSettings
from icefloe.local.process import ManagedProcess


class Service(ABC):
    #: short name used by `icefloe local logs <name>` and in pid/log file names
    name: str
    #: one line for `status`
    description: str
    #: seconds a (warm) start may take before `up` gives up; the stack adds its own margin
    start_timeout: float = 90.0
    #: an optional service is skipped (with a warning naming the fix) by a plain `up` when
    #: `unavailable()` says it cannot run here; naming it (`up trino`) makes that an error instead
    optional: bool = False

    def __init__(self, stack: StackSettings) -> None:
        self.stack = stack
        self.process = ManagedProcess(
            name=self.name,
            pid_file=stack.run_dir / f"{self.name}.pid",
            log_file=stack.logs_dir / f"{self.name}.log",
        )

    @property
    def data_dir(self) -> Path:
        return self.stack.data_dir / self.name

    @property
    @abstractmethod
    def ports(self) -> dict[str, int]:
        """Every port the service binds, by role (the first one is the one users talk to)."""

    @property
    def url(self) -> str:
        role, port = next(iter(self.ports.items()))
        return f"{self.stack.host}:{port}"

    def fetch(self) -> None:
        """Fetch or build the artifacts the service needs (cached)."""

    def prepare(self) -> None:
        """Idempotent first-start set-up of the data directory (initdb, storage format...)."""

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line that runs the service in the foreground."""

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    @abstractmethod
    def health(self) -> str | None:
        """None when healthy, else a short reason."""

    def post_start(self) -> None:
        """Work to do once healthy (create a database, ...)."""

    def unavailable(self) -> str | None:
        """Why the service cannot run on this machine (a missing prerequisite, with its fix), or None."""
        return None

    def status_detail(self) -> str:
        """One line for `status` when healthy (memory, version, ...)."""
        return "healthy"


def http_health(url: str, timeout: float = 2.0, accept: tuple[int, ...] = (200,)) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return None if resp.status in accept else f"{url} answered {resp.status}"
    except urllib.error.HTTPError as exc:
        return None if exc.code in accept else f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        # HTTPException: not an HTTP answer, e.g. a port in the ephemeral range that the probe's own
        # socket connected to itself (TCP simultaneous open) while the server was not listening yet
        reason = getattr(exc, "reason", exc)
        return f"{url}: {reason!r}" if isinstance(exc, http.client.HTTPException) else f"{url}: {reason}"
