"""Start, track and stop the native processes of the local stack.

Each service runs in its own session (process group) so that stopping it also stops whatever it
forked. A pid file records the pid *and* the kernel's start time of that pid, so `down` never
signals an unrelated process that happens to reuse a stale pid.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def _proc_start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # Field 22 (starttime) counted after the parenthesised command name, which may hold spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie is as good as dead
        return None
    return int(fields[19])


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (we try to bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def port_owner(port: int) -> str:
    """Best-effort description of who listens on a port (for error messages)."""
    try:
        out = subprocess.run(
            ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return "unknown process"
    return out.split("users:")[-1].strip() if "users:" in out else (out or "unknown process")


def tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return "(no log written)"
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64 * 1024))
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class ManagedProcess:
    """A long-running child process tracked by a pid file."""

    name: str
    pid_file: Path
    log_file: Path

    def _record(self) -> dict | None:
        try:
            return json.loads(self.pid_file.read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, OSError):
            log.warning("%s: unreadable pid file %s, ignoring it", self.name, self.pid_file)
            return None

    @property
    def pid(self) -> int | None:
        rec = self._record()
        if rec and _proc_start_time(rec["pid"]) == rec.get("start_time"):
            return rec["pid"]
        return None

    def is_running(self) -> bool:
        return self.pid is not None

    def start(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as logf:
            logf.write(f"\n=== icefloe: starting {self.name} at {time.ctime()} ===\n".encode())
            logf.write(f"=== {' '.join(argv)}\n".encode())
            logf.flush()
            proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._popen = proc
        rec = {"pid": proc.pid, "start_time": _proc_start_time(proc.pid), "argv": argv[:3]}
        self.pid_file.write_text(json.dumps(rec))
        return proc.pid

    def exited(self) -> int | None:
        """The exit code if the process we started has died, else None."""
        popen = getattr(self, "_popen", None)
        if popen is not None:
            return popen.poll()
        return None if self.is_running() else -1

    def stop(self, timeout: float = 30.0, sig: int = signal.SIGTERM) -> bool:
        """Signal the process group (SIGTERM), SIGKILL after `timeout`. True if one was stopped."""
        pid = self.pid
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._group_alive(pgid):
            self._reap()
            time.sleep(0.1)
        if self._group_alive(pgid):
            log.warning("%s did not stop within %.0fs, killing it", self.name, timeout)
            os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.2)
        self._reap()
        self.pid_file.unlink(missing_ok=True)
        return True

    def _reap(self) -> None:
        popen = getattr(self, "_popen", None)
        if popen is not None:
            popen.poll()

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # Zombies of our own children keep the group "alive" for killpg; check /proc instead.
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    return True
        return False
