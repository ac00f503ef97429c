"""Local Spark jobs through a warm driver: one PySpark process that stays up between runs
(`jobs/spark/daemon.py`), so that a run after the first skips the JVM's start and most of its JIT
compiling, a third of the JVM's CPU in an incremental run (`benchmarks/spark_cpu.py`).

    ICEFLOE_SPARK_DAEMON=0          every run starts its own driver, as before
    ICEFLOE_SPARK_DAEMON_IDLE_S=N   the driver exits after N seconds without a run (default 1800)

`icefloe.jobs.run_spark` goes through it for the jobs it serves; `icefloe local down` stops it, and
`icefloe local status` shows it. Its log: `<state>/logs/spark-daemon.log` (the JVM's own warnings;
each run's output goes to the run's log file, as with a driver of its own).

The driver is started with the launch of `icefloe.jobs.spark_launch` (same Python, jars, JVM flags
and environment) and is reused only while what it was started with still holds: the fingerprint
covers the job files and every setting read when the JVM starts. A run whose settings differ
replaces it; a run that finds it busy (another run going) starts a driver of its own instead of
waiting. A run stopped or timed out takes the warm driver down with it, as it would its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from icefloe import PROJECT_ROOT
from icefloe.config import StackSettings
from icefloe.local.errors import StackError
from icefloe.local.process import ManagedProcess, tail

log = logging.getLogger(__name__)

DAEMON_ENV = "ICEFLOE_SPARK_DAEMON"
IDLE_ENV = "ICEFLOE_SPARK_DAEMON_IDLE_S"
DEFAULT_IDLE_S = 1800.0
EXIT_MARKER = "ICEFLOE_DAEMON_EXIT"
#: the job files the warm driver runs (each has `main(argv)`)
JOBS = frozenset({"batch", "staging", "entity_resolution", "layers", "maintenance"})
SCRIPT = PROJECT_ROOT / "jobs" / "spark" / "daemon.py"
#: environment read when the JVM or the Python driver starts: a change needs another driver
_START_ENV = ("JAVA_HOME", "PYSPARK_PYTHON", "SPARK_LOCAL_IP", "ICEFLOE_SQL_DIR")
#: JVM flags that name the class-data archive: whether it exists yet does not change what runs
_ARCHIVE_FLAGS = ("-XX:SharedArchiveFile=", "-XX:ArchiveClassesAtExit=", "-Xlog:cds")
START_TIMEOUT_S = 180.0


def enabled(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(DAEMON_ENV, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def idle_timeout(env: dict[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(IDLE_ENV, "").strip()
    if not raw:
        return DEFAULT_IDLE_S
    try:
        value = float(raw)
    except ValueError:
        raise StackError(f"{IDLE_ENV}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise StackError(f"{IDLE_ENV}={raw!r}: give a number of seconds > 0 (or {DAEMON_ENV}=0 for no warm driver)")
    return value


def process(stack: StackSettings) -> ManagedProcess:
    return ManagedProcess("spark-daemon", stack.run_dir / "spark-daemon.pid", stack.logs_dir / "spark-daemon.log")


def socket_path(stack: StackSettings) -> Path:
    """The driver's Unix socket: in the temporary directory, named after the stack (a socket's path
    is limited to 107 bytes, which a deep state directory would exceed)."""
    key = hashlib.sha256(str(stack.state_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"icefloe-spark-{key}.sock"


def fingerprint(argv: list[str], env: dict[str, str], code_dir: Path = SCRIPT.parent) -> str:
    """What the driver was started with: its Python, the job files (and their configuration), and the
    environment read at start-up (every ICEFLOE_SPARK_ setting: jars, JVM flags, memory, master)."""
    digest = hashlib.sha256(argv[0].encode())
    for path in sorted(p for p in code_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(code_dir)}\0".encode())
        digest.update(path.read_bytes())
    for key in sorted(k for k in env if k.startswith("ICEFLOE_SPARK_") or k in _START_ENV):
        value = env[key]
        if key == "ICEFLOE_SPARK_JAVA_OPTIONS":
            value = " ".join(o for o in value.split() if not o.startswith(_ARCHIVE_FLAGS))
        digest.update(f"{key}={value}\0".encode())
    return digest.hexdigest()[:24]


def _request(path: Path, payload: dict, timeout: float = 5.0) -> tuple[socket.socket, dict]:
    """Connect, send one request, read the one-line answer. Raises OSError when nothing answers."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(str(path))
        conn.sendall((json.dumps(payload) + "\n").encode())
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(1)
            if not chunk:
                raise ConnectionError("the warm Spark driver closed the connection")
            line += chunk
        return conn, json.loads(line)
    except BaseException:
        conn.close()
        raise


def ping(stack: StackSettings) -> dict | None:
    """The running driver's `{"pid", "fingerprint", "busy", "runs"}`, or None."""
    try:
        conn, answer = _request(socket_path(stack), {"op": "ping"})
    except (OSError, ValueError):
        return None
    conn.close()
    return answer


def stop(stack: StackSettings) -> bool:
    """Stop the warm driver (its JVM with it). True if one was running."""
    stopped = process(stack).stop(timeout=20)
    with contextlib.suppress(FileNotFoundError):
        socket_path(stack).unlink()
    return stopped


@contextlib.contextmanager
def _start_lock(stack: StackSettings):
    """One client at a time decides whether to start a driver (two would start two)."""
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    with (stack.run_dir / "spark-daemon.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure(stack: StackSettings, argv: list[str], env: dict[str, str]) -> dict | None:
    """A driver started with this launch, idle: the running one, or a new one (an older one started
    with other settings or code is stopped first). None when the right one is busy with a run."""
    wanted = fingerprint(argv, env)
    with _start_lock(stack):
        info = ping(stack)
        if info and info.get("fingerprint") == wanted:
            return None if info.get("busy") else info
        if info or process(stack).is_running():
            if info and info.get("busy"):
                return None  # another run's driver, with other settings: leave it be
            log.info("the warm Spark driver was started with other settings or job files: restarting it")
            stop(stack)
        proc = process(stack)
        t0 = time.monotonic()
        proc.start([argv[0], str(SCRIPT), "--socket", str(socket_path(stack)), "--fingerprint", wanted,
                    "--idle-timeout", str(idle_timeout(env))], env, cwd=PROJECT_ROOT)
        while time.monotonic() - t0 < START_TIMEOUT_S:
            info = ping(stack)
            if info:
                log.info("warm Spark driver started in %.1fs (pid %s; log %s)", time.monotonic() - t0,
                         info.get("pid"), proc.log_file)
                return info
            if proc.exited() is not None:
                raise StackError(f"the warm Spark driver did not start (exit {proc.exited()}); its log: "
                                 f"{proc.log_file}\n{tail(proc.log_file)}")
            time.sleep(0.3)
        stop(stack)
        raise StackError(f"the warm Spark driver did not answer within {START_TIMEOUT_S:.0f}s; its log: "
                         f"{proc.log_file}\n{tail(proc.log_file)}")


def run(job: str, args: list[str], stack: StackSettings, argv: list[str], env: dict[str, str], log_file: Path,
        on_line: Callable[[str], None] | None, timeout: float | None) -> tuple[int, float, str, str] | None:
    """`jobs/spark/<job>.py <args>` in the warm driver: (exit code, seconds, output, which driver), the output also
    written to `log_file` and passed line by line to `on_line`. None when the driver is busy with
    another run (the caller starts a driver of its own). A timeout or an interrupt stops the driver
    (and the run) before it is raised."""
    t0 = time.monotonic()  # a driver's start counts as the run's, as it would in a process of its own
    info = ensure(stack, argv, env)
    if info is None:
        return None
    try:
        conn, answer = _request(socket_path(stack), {"op": "run", "job": job, "args": args, "env": env})
    except (OSError, ValueError):
        return None  # gone idle and exited just now, or taken by another run: a driver of its own
    if answer.get("busy"):
        conn.close()
        return None
    lines: list[str] = []
    code = None
    daemon_log = process(stack).log_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with conn, log_file.open("w") as logf:
        logf.write(f"# {job} {' '.join(args)}: run by the warm Spark driver (pid {info.get('pid')}, run "
                   f"{info.get('runs', 0) + 1}); its JVM's own log: {daemon_log}\n")
        conn.settimeout(5.0)
        pending = b""
        try:
            while code is None:
                if timeout and time.monotonic() - t0 > timeout:
                    stop(stack)
                    from icefloe.jobs import JobFailed

                    raise JobFailed(f"{job} timed out after {timeout:.0f}s (the warm Spark driver was stopped "
                                    f"with it); log: {log_file}")
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break  # the driver died mid-run
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    line = raw.decode("utf-8", "replace")
                    if line.startswith(EXIT_MARKER + " "):
                        code = int(line.split()[1])
                        break
                    logf.write(line + "\n")
                    logf.flush()
                    lines.append(line + "\n")
                    if on_line:
                        on_line(line)
        except BaseException:
            if code is None:
                stop(stack)  # as a job's own process would be killed
            raise
    if code is None:
        lines.append(f"the warm Spark driver died during the run; its log: {daemon_log}\n{tail(daemon_log)}\n")
        code = 1
    driver = f"the warm Spark driver (pid {info.get('pid')}, run {info.get('runs', 0) + 1})"
    return code, time.monotonic() - t0, "".join(lines), driver
