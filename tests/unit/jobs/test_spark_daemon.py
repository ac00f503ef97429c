"""The warm Spark driver's protocol and isolation, with the real server code (jobs/spark/daemon.py)
and the real client (icefloe.spark_daemon) over a real Unix socket; Spark itself is left out (a job
module stands in for the job files; the integration suite runs the real jobs through it)."""

from __future__ import annotations

import tempfile
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from icefloe import PROJECT_ROOT, spark_daemon
from icefloe.config import StackSettings

#: the server with Spark left out; `staging` is a job module of the test's own
SERVER = textwrap.dedent("""
    import sys
    sys.path[:0] = [sys.argv[1], {jobs!r}]
    import daemon

    class NoSpark(daemon.Daemon):
        def start_spark(self):
            self.spark = type("S", (), {{"catalog": type("C", (), {{"clearCache": lambda self: None}})()}})()

        def _fresh_session(self):
            return None

        def jvm_alive(self):
            import os
            return not os.path.exists(sys.argv[1] + "/jvm-gone")

    NoSpark("fp-test", float(sys.argv[3])).serve(sys.argv[2])
""").format(jobs=str(PROJECT_ROOT / "jobs" / "spark"))

JOB = textwrap.dedent("""
    import logging, os, sys, time
    CALLS = []  # module state: a fresh import per run must not see the last run's

    def main(argv):
        CALLS.append(argv)
        print("ICEFLOE_RESULT " + '{"calls": %d, "mode": "%s"}' % (len(CALLS), os.environ.get("JOB_MODE", "-")))
        logging.getLogger("job").warning("a log line")
        if argv and argv[0] == "sleep":
            time.sleep(float(argv[1]))
        if argv and argv[0] == "fail":
            raise RuntimeError("the job broke")
        if argv and argv[0] == "exit":
            raise SystemExit(int(argv[1]))
        return 0
""")


@pytest.fixture
def server(tmp_path, monkeypatch):
    (tmp_path / "fakes").mkdir()
    (tmp_path / "fakes" / "staging.py").write_text(JOB)
    (tmp_path / "server.py").write_text(SERVER)
    stack = StackSettings(state_dir=tmp_path / "state")
    sock = spark_daemon.socket_path(stack)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "server.py"), str(tmp_path / "fakes"), str(sock), "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while spark_daemon.ping(stack) is None:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() is not None else "no answer"
        time.sleep(0.05)
    # the client's own start-up is not under test here: the server above is "the" driver
    monkeypatch.setattr(spark_daemon, "ensure", lambda stack, argv, env: spark_daemon.ping(stack))
    monkeypatch.setattr(spark_daemon, "stop", lambda stack: proc.kill() or True)
    yield stack, proc
    proc.kill()
    proc.wait()


def _run(stack, args, env=None, timeout=None, lines=None):
    log_file = stack.logs_dir / f"run-{time.monotonic_ns()}.log"
    return spark_daemon.run("staging", args, stack, [sys.executable], env or {}, log_file,
                            lines.append if lines is not None else None, timeout), log_file


def test_each_run_streams_its_output_and_exit_code_with_fresh_modules_and_its_own_environment(server):
    stack, _ = server
    seen = []
    (code, seconds, output, driver), log_file = _run(stack, ["a"], {"JOB_MODE": "first"}, lines=seen)
    assert code == 0 and seconds > 0 and "warm Spark driver" in driver
    assert 'ICEFLOE_RESULT {"calls": 1, "mode": "first"}' in seen  # on_line, line by line
    assert any("WARNING job: a log line" in ln for ln in seen)  # logging goes to the client too
    assert log_file.read_text().startswith("# staging a: run by the warm Spark driver")
    assert 'ICEFLOE_RESULT {"calls": 1, "mode": "first"}' in log_file.read_text()
    (code, _, output, _), _ = _run(stack, ["b"])
    assert code == 0
    assert 'ICEFLOE_RESULT {"calls": 1, "mode": "-"}' in output  # module imported afresh; env not carried over
    assert spark_daemon.ping(stack)["runs"] == 2


@pytest.mark.parametrize(("args", "code", "says"), [(["fail"], 1, "RuntimeError: the job broke"),
                                                     (["exit", "3"], 3, "")])
def test_a_failing_run_reports_its_code_and_the_driver_serves_the_next(server, args, code, says):
    stack, _ = server
    (got, _, output, _), _ = _run(stack, args)
    assert got == code and says in output
    (got, _, _, _), _ = _run(stack, ["ok"])
    assert got == 0


def test_a_run_that_finds_the_driver_busy_is_told_so_at_once(server):
    import threading

    stack, _ = server
    first = threading.Thread(target=_run, args=(stack, ["sleep", "3"]))
    first.start()
    deadline = time.monotonic() + 10
    while not spark_daemon.ping(stack)["busy"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    t0 = time.monotonic()
    assert _run(stack, ["b"])[0] is None  # the caller starts a driver of its own
    assert time.monotonic() - t0 < 2
    first.join()
    assert spark_daemon.ping(stack)["busy"] is False


def test_a_client_that_goes_away_mid_run_stops_the_driver(server):
    stack, proc = server
    conn, answer = spark_daemon._request(spark_daemon.socket_path(stack),
                                         {"op": "run", "job": "staging", "args": ["sleep", "30"], "env": {}})
    assert answer == {"busy": False}
    time.sleep(0.5)
    conn.close()  # as a stopped client's socket would be
    assert proc.wait(timeout=10) == 3


def test_a_timed_out_run_stops_the_driver_and_raises(server):
    from icefloe.jobs import JobFailed

    stack, proc = server
    with pytest.raises(JobFailed, match="timed out after 1s"):
        _run(stack, ["sleep", "30"], timeout=1)
    assert proc.wait(timeout=10) != 0


def test_the_driver_serves_only_the_job_files(server):
    stack, _ = server
    conn, answer = spark_daemon._request(spark_daemon.socket_path(stack),
                                         {"op": "run", "job": "os", "args": [], "env": {}})
    rest = b""
    while chunk := conn.recv(4096):
        rest += chunk
    conn.close()
    assert b"runs batch, staging" in rest and rest.endswith(b"ICEFLOE_DAEMON_EXIT 2\n")


def test_the_fingerprint_follows_code_and_start_up_settings_only(tmp_path):
    code = tmp_path / "jobs"
    code.mkdir()
    (code / "batch.py").write_text("x = 1\n")
    base = {"ICEFLOE_SPARK_JAVA_OPTIONS": "-XX:+UseParallelGC", "JAVA_HOME": "/jdk", "ICEFLOE_BATCH_PARALLELISM": "4"}
    fp = spark_daemon.fingerprint(["/py"], base, code)
    # what each run gets afresh (its environment) or what only names the class-data archive: same driver
    assert spark_daemon.fingerprint(["/py"], {**base, "ICEFLOE_BATCH_PARALLELISM": "1"}, code) == fp
    archived = {**base, "ICEFLOE_SPARK_JAVA_OPTIONS": "-XX:+UseParallelGC -XX:SharedArchiveFile=/a.jsa -Xlog:cds*=off"}
    assert spark_daemon.fingerprint(["/py"], archived, code) == fp
    # what the JVM or the Python driver reads at start-up, or the job files: another driver
    assert spark_daemon.fingerprint(["/py"], {**base, "ICEFLOE_SPARK_DRIVER_MEMORY": "8g"}, code) != fp
    assert spark_daemon.fingerprint(["/py"], {**base, "JAVA_HOME": "/jdk2"}, code) != fp
    assert spark_daemon.fingerprint(["/py2"], base, code) != fp
    (code / "batch.py").write_text("x = 2\n")
    assert spark_daemon.fingerprint(["/py"], base, code) != fp


@pytest.mark.parametrize(("value", "on"), [("", True), ("1", True), ("0", False), ("false", False), ("off", False)])
def test_the_warm_driver_is_on_unless_turned_off(value, on):
    assert spark_daemon.enabled({"ICEFLOE_SPARK_DAEMON": value} if value else {}) is on


def test_a_bad_idle_timeout_names_the_setting():
    from icefloe.local.errors import StackError

    assert spark_daemon.idle_timeout({}) == spark_daemon.DEFAULT_IDLE_S
    assert spark_daemon.idle_timeout({"ICEFLOE_SPARK_DAEMON_IDLE_S": "90"}) == 90
    for bad in ("soon", "0", "-5"):
        with pytest.raises(StackError, match="ICEFLOE_SPARK_DAEMON_IDLE_S"):
            spark_daemon.idle_timeout({"ICEFLOE_SPARK_DAEMON_IDLE_S": bad})


def test_the_socket_path_fits_a_unix_socket_whatever_the_state_directory(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-directory-name"] * 8)
    assert len(str(spark_daemon.socket_path(StackSettings(state_dir=deep)))) < 100
    assert spark_daemon.socket_path(StackSettings(state_dir=deep)) != spark_daemon.socket_path(
        StackSettings(state_dir=tmp_path))
    assert spark_daemon.socket_path(StackSettings(state_dir=deep)).parent == Path(tempfile.gettempdir())


def test_local_down_stops_the_warm_driver(tmp_path, monkeypatch):
    from icefloe.local.stack import Stack

    stopped = []
    monkeypatch.setattr(spark_daemon, "stop", lambda stack: stopped.append(stack.state_dir) or True)
    settings = StackSettings(state_dir=tmp_path / "state")
    assert "spark-daemon" in Stack(settings).down()
    assert stopped == [settings.state_dir]


def test_local_status_shows_the_warm_driver(tmp_path, monkeypatch):
    from icefloe import cli

    monkeypatch.setenv("ICEFLOE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(spark_daemon, "ping", lambda stack: None)
    name, _, pid, health, log_file = cli._warm_driver_row()
    assert (name, pid) == ("spark (warm driver)", "-") and "not running" in health
    assert log_file.endswith("spark-daemon.log")
    monkeypatch.setattr(spark_daemon, "ping", lambda stack: {"pid": 42, "busy": True, "runs": 3})
    _, _, pid, health, _ = cli._warm_driver_row()
    assert pid == "42" and "running a job, 3 run(s)" in health


def test_a_driver_whose_jvm_is_gone_after_a_run_stops(server, tmp_path):
    stack, proc = server
    (tmp_path / "fakes" / "jvm-gone").touch()  # as after an out-of-memory JVM
    (code, _, _, _), _ = _run(stack, ["ok"])
    assert code == 0  # the run itself is reported as it ended
    assert proc.wait(timeout=10) == 4
