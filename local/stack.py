"""Bring the local stack up, down, and report on it.

`up` is idempotent: a service already running and healthy is left alone. Before starting a
service it checks that each of its ports is free and names the owner when one is not; while
waiting for health it watches the process, so a service that dies is reported at once with the
tail of its log. If `up` fails, everything *this* `up` started is stopped again: no orphans.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from icefloe.config import StackSettings, local_profile, write_env_file
from icefloe.local.errors import PortInUseError, ServiceStartError, StackError
from icefloe.local.process import port_is_free, port_owner, tail
from icefloe.local.services import ALL, Service

log = logging.getLogger(__name__)


@dataclass
class ServiceStatus:
    name: str
    description: str
    endpoint: str
    pid: int | None
    healthy: bool
    detail: str
    log_file: str
    #: an optional service that is not running (e.g. Trino without Java 24+): not a failure
    optional_absent: bool = False


Progress = Callable[[str, str], None]


def _quiet(service: str, message: str) -> None:
    log.info("%s: %s", service, message)


class Stack:
    def __init__(self, settings: StackSettings | None = None,
                 services: Iterable[type[Service]] = ALL) -> None:
        self.settings = settings or StackSettings()
        self.services: list[Service] = [cls(self.settings) for cls in services]
        #: optional services the last `up` skipped, with why (and the fix)
        self.skipped: dict[str, str] = {}

    def get(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        raise StackError(f"unknown service {name!r}; services: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.services]

    def _select(self, names: Iterable[str] | None) -> list[Service]:
        if not names:
            return list(self.services)
        wanted = set(names)
        for n in wanted:
            self.get(n)
        return [s for s in self.services if s.name in wanted]

    # ------------------------------------------------------------------ up
    def fetch(self, names: Iterable[str] | None = None, progress: Progress = _quiet) -> None:
        for svc in self._select(names):
            progress(svc.name, "fetching artifacts (cached after the first run)")
            svc.fetch()

    def up(self, names: Iterable[str] | None = None, progress: Progress = _quiet) -> dict[str, float]:
        """Start the selected services in order and wait for each to be healthy.

        Returns the seconds each service took to become healthy (0 if it already was).
        """
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        write_env_file(self.settings.profile_env, local_profile(self.settings))
        started: list[Service] = []
        timings: dict[str, float] = {}
        try:
            for svc in self._select(names):
                t0 = time.monotonic()
                if svc.optional and not names:
                    why = svc.unavailable()
                    if why:
                        progress(svc.name, f"skipped (optional): {why}")
                        self.skipped[svc.name] = why
                        continue
                if svc.process.is_running() and svc.health() is None:
                    progress(svc.name, f"already running (pid {svc.process.pid}) on {svc.url}")
                    timings[svc.name] = 0.0
                    continue
                if svc.process.is_running():
                    progress(svc.name, "running but unhealthy: restarting it")
                    svc.process.stop(sig=getattr(svc, "stop_signal", signal.SIGTERM))
                self._check_ports(svc)
                progress(svc.name, "fetching artifacts")
                svc.fetch()
                svc.prepare()
                svc.process.start(svc.argv(), svc.env())
                started.append(svc)
                progress(svc.name, f"started (pid {svc.process.pid}), waiting for health on {svc.url}")
                self._wait_healthy(svc)
                svc.post_start()
                timings[svc.name] = time.monotonic() - t0
                progress(svc.name, f"healthy in {timings[svc.name]:.1f}s")
        except BaseException:
            for svc in reversed(started):
                log.info("stopping %s after the failed start", svc.name)
                svc.process.stop(sig=getattr(svc, "stop_signal", signal.SIGTERM))
            raise
        return timings

    def _check_ports(self, svc: Service) -> None:
        for role, port in svc.ports.items():
            if not port_is_free(self.settings.host, port):
                env_name = f"ICEFLOE_{svc.name.upper().replace('-', '_')}_PORT"
                raise PortInUseError(
                    f"{svc.name}: port {port} ({role}) on {self.settings.host} is already in use by "
                    f"{port_owner(port)}. Stop that process or choose another port "
                    f"(e.g. `export {env_name}=...`, see README 'Ports')."
                )

    def _wait_healthy(self, svc: Service) -> None:
        deadline = time.monotonic() + max(svc.start_timeout, self.settings.start_timeout_s)
        reason = "no answer yet"
        while time.monotonic() < deadline:
            code = svc.process.exited()
            if code is not None:
                raise ServiceStartError(
                    f"{svc.name} exited (code {code}) while starting on {svc.url}.\n"
                    f"Last lines of its log {svc.process.log_file}:\n{tail(svc.process.log_file)}"
                )
            reason = svc.health() or ""
            if not reason:
                return
            time.sleep(0.25)
        raise ServiceStartError(
            f"{svc.name} was not healthy on {svc.url} after {deadline and svc.start_timeout:.0f}s "
            f"({reason}).\nLast lines of its log {svc.process.log_file}:\n{tail(svc.process.log_file)}"
        )

    # ---------------------------------------------------------------- down
    def down(self, names: Iterable[str] | None = None, progress: Progress = _quiet) -> list[str]:
        """Stop (in reverse order) the processes this stack started. Returns what it stopped."""
        stopped = []
        if not names:  # the background streaming job (`icefloe flink start`) goes first
            from icefloe.local.process import ManagedProcess

            job = ManagedProcess("flink-job", self.settings.run_dir / "flink-job.pid",
                                 self.settings.logs_dir / "flink-job.log")
            if job.stop():
                progress("flink-job", "stopped")
                stopped.append("flink-job")
            from icefloe import spark_daemon  # the warm Spark driver of local batch runs

            if spark_daemon.stop(self.settings):
                progress("spark-daemon", "stopped")
                stopped.append("spark-daemon")
        for svc in reversed(self._select(names)):
            if svc.process.stop(sig=getattr(svc, "stop_signal", signal.SIGTERM)):
                progress(svc.name, "stopped")
                stopped.append(svc.name)
        return stopped

    # -------------------------------------------------------------- status
    def status(self) -> list[ServiceStatus]:
        out = []
        for svc in self.services:
            pid = svc.process.pid
            absent = False
            if pid is None:
                healthy, detail = False, "not running"
                if svc.optional:
                    absent = True
                    why = svc.unavailable()
                    detail = f"not running (optional; {why})" if why else "not running (optional)"
            else:
                reason = svc.health()
                healthy, detail = reason is None, reason or svc.status_detail()
            out.append(ServiceStatus(svc.name, svc.description, svc.url, pid, healthy, detail,
                                     str(svc.process.log_file), absent))
        return out
