"""A warm local Spark driver: one PySpark process (and its JVM) that runs the batch jobs one after
another, so that only its first run pays for the JVM's start and for compiling Spark's code.

    daemon.py --socket PATH --fingerprint HEX [--idle-timeout SECONDS]

Started by `icefloe.spark_daemon` (local runs only, Airflow's local tasks included: they run
`python -m icefloe.jobs spark <job>`; on EMR Serverless each job run has its own driver). Why: an incremental run's cost is mostly fixed, and over a
+1 % run at 10M deliveries a third of the JVM's CPU went to its JIT compilers (C2 60 s, C1 15 s
of 193 s, `benchmarks/spark_cpu.py`): work a driver that stays up does once, not per run.

Each run gets what a new process would have, but for the JVM: a new Spark session (its own SQL
configuration, temporary views and Iceberg catalog instances, so no table metadata is cached
from an earlier run), the job modules imported afresh (no module-level state carried over), the
client's environment as `os.environ`, and stdout/stderr (results and logs) sent to the client.
Cached data is dropped when a run ends. One run at a time: a request that finds the driver busy
is told so at once (the client then starts a driver of its own).

Protocol (a Unix socket, one JSON line per request): `{"op": "ping"}` -> `{"pid", "fingerprint",
"busy", "runs"}`; `{"op": "run", "job", "args", "env"}` -> `{"busy": true}`, or the job's output
lines followed by `ICEFLOE_DAEMON_EXIT <code>`. A client that goes away during its run (stopped,
timed out) takes the driver down with it, as stopping a job's own process would: the run's work
stops where a killed job's would, and the next run starts a new driver.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback

EXIT_MARKER = "ICEFLOE_DAEMON_EXIT"
JOBS = ("batch", "staging", "entity_resolution", "layers", "maintenance")
#: the job files' own modules, imported afresh for each run
JOB_MODULES = ("icefloe_spark", "staging", "layers", "entity_resolution", "er_core", "batch", "maintenance")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("icefloe.spark.daemon")


class _LineWriter(io.TextIOBase):
    """A text stream onto the client's socket (what the job prints and logs). Writes from several
    threads keep their lines whole; a client that has gone away makes writes no-ops (its watcher
    stops the driver)."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.closed_by_peer = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text and not self.closed_by_peer:
            with self._lock:
                try:
                    self._conn.sendall(text.encode("utf-8", "replace"))
                except OSError:
                    self.closed_by_peer = True
        return len(text)


class Daemon:
    def __init__(self, fingerprint: str, idle_timeout: float) -> None:
        self.fingerprint = fingerprint
        self.idle_timeout = idle_timeout
        self.busy = threading.Lock()
        self.runs = 0
        self.last_active = time.monotonic()
        self.spark = None

    def start_spark(self) -> None:
        import icefloe_spark

        t0 = time.monotonic()
        self.spark = icefloe_spark.spark_session("icefloe-spark-daemon")
        log.info("Spark driver up in %.1fs (pid %d)", time.monotonic() - t0, os.getpid())

    # ---- one run -------------------------------------------------------------------------------

    def _fresh_session(self):
        """A new session of the one SparkContext, made the one `SparkSession.builder.getOrCreate()`
        returns (the jobs' `spark_session`) and the JVM's default and active session."""
        from pyspark.sql import SparkSession

        session = self.spark.newSession()
        SparkSession._instantiatedSession = session
        SparkSession._activeSession = session
        jclass = SparkSession._get_j_spark_session_class(session._jvm)
        jclass.setDefaultSession(session._jsparkSession)
        jclass.setActiveSession(session._jsparkSession)
        return session

    def run(self, conn: socket.socket, request: dict) -> None:
        job, args = request["job"], [str(a) for a in request.get("args", [])]
        out = _LineWriter(conn)
        if job not in JOBS:
            out.write(f"the warm Spark driver runs {', '.join(JOBS)}, not {job!r}\n{EXIT_MARKER} 2\n")
            return
        done = threading.Event()
        threading.Thread(target=self._watch_client, args=(conn, done), daemon=True, name="client-watch").start()
        saved_env = dict(os.environ)
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        code = 1
        try:
            os.environ.clear()
            os.environ.update(request.get("env") or {})
            for name in JOB_MODULES:
                sys.modules.pop(name, None)
            handler = logging.StreamHandler(out)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            root.handlers = [handler]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                self._fresh_session()
                try:
                    module = importlib.import_module(job)
                    result = module.main(args)
                    code = int(result or 0)
                except SystemExit as exc:
                    if exc.code is None or isinstance(exc.code, int):
                        code = exc.code or 0
                    else:  # a message, as the interpreter would print it
                        print(exc.code, file=sys.stderr)
                        code = 1
                except BaseException:  # noqa: BLE001 - the client gets the traceback and a non-zero code
                    traceback.print_exc()
                    code = 1
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            root.handlers, root.level = saved_handlers, saved_level
            with contextlib.suppress(Exception):
                self.spark.catalog.clearCache()  # the run's cached deltas (the cache manager is shared)
            self.runs += 1
            self.last_active = time.monotonic()
            done.set()
        out.write(f"{EXIT_MARKER} {code}\n")
        log.info("run %d: %s %s -> exit %d", self.runs, job, " ".join(args), code)
        if not self.jvm_alive():  # (an out-of-memory JVM, a job that stopped Spark): no run could use it
            log.error("the driver's JVM or SparkContext is gone after run %d: stopping, the next run starts a new one",
                      self.runs)
            logging.shutdown()
            os._exit(4)

    def jvm_alive(self) -> bool:
        try:
            return not self.spark.sparkContext._jsc.sc().isStopped()
        except Exception:  # noqa: BLE001 - py4j cannot reach the JVM
            return False

    def _watch_client(self, conn: socket.socket, done: threading.Event) -> None:
        """The client sends nothing after its request: end of stream while a run is going means it
        was stopped. Stop the whole driver (the JVM exits with this process): a half-done run must
        not go on unwatched, nor hold the driver."""
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        if not done.is_set():
            log.warning("the client of the current run went away: stopping the driver")
            logging.shutdown()
            os._exit(3)

    # ---- the socket -------------------------------------------------------------------------------

    def handle(self, conn: socket.socket) -> None:
        with conn:
            reader = conn.makefile("r", encoding="utf-8")
            line = reader.readline()
            try:
                request = json.loads(line)
            except json.JSONDecodeError:
                conn.sendall(b'{"error": "not a JSON request"}\n')
                return
            if request.get("op") == "ping":
                conn.sendall((json.dumps({"pid": os.getpid(), "fingerprint": self.fingerprint,
                                          "busy": self.busy.locked(), "runs": self.runs}) + "\n").encode())
            elif request.get("op") == "run":
                if not self.busy.acquire(blocking=False):
                    conn.sendall(b'{"busy": true}\n')
                    return
                try:
                    conn.sendall(b'{"busy": false}\n')
                    self.run(conn, request)
                finally:
                    self.busy.release()
            else:
                conn.sendall(b'{"error": "unknown op"}\n')

    def serve(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        old_umask = os.umask(0o077)  # the socket: this user only
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        os.umask(old_umask)
        server.listen(8)
        server.settimeout(5.0)
        log.info("listening on %s (idle timeout %.0fs)", path, self.idle_timeout)
        print("ICEFLOE_DAEMON_READY", flush=True)
        try:
            while True:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    if not self.busy.locked() and time.monotonic() - self.last_active > self.idle_timeout:
                        log.info("idle for %.0fs: stopping", self.idle_timeout)
                        return
                    continue
                threading.Thread(target=self.handle, args=(conn,), daemon=True, name="request").start()
        finally:
            server.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--fingerprint", required=True, help="what the client checks it was started with")
    parser.add_argument("--idle-timeout", type=float, default=1800.0, help="seconds without a run before it exits")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    daemon = Daemon(args.fingerprint, args.idle_timeout)
    daemon.start_spark()
    daemon.serve(args.socket)
    daemon.spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
