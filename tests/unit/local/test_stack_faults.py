"""The stack's fault handling, with real processes: a taken port, a service that dies while
starting, and no orphan left behind by a failed `up`."""

import socket
import sys

import pytest

from icefloe.config import StackSettings
from icefloe.local.errors import PortInUseError, ServiceStartError
from icefloe.local.process import port_is_free
from icefloe.local.services.base import Service
from icefloe.local.stack import Stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PythonService(Service):
    """A tiny HTTP server (healthy) or a crashing script (dies), on a port of our choice."""

    name = "toy"
    description = "toy service"
    start_timeout = 20.0
    script = None
    port = 0

    @property
    def ports(self):
        return {"http": self.port}

    def argv(self):
        if self.script:
            return [sys.executable, "-c", self.script]
        return [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"]

    def health(self):
        from icefloe.local.services.base import http_health

        return http_health(f"http://127.0.0.1:{self.port}/")


def make(tmp_path, **attrs):
    cls = type("Toy", (PythonService,), {"port": free_port(), **attrs})
    settings = StackSettings(state_dir=tmp_path / "state", start_timeout_s=1)
    return Stack(settings, services=[cls]), cls


def test_port_clash_names_the_service_the_port_and_the_fix(tmp_path):
    stack, cls = make(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", cls.port))
        squatter.listen()
        with pytest.raises(PortInUseError) as exc:
            stack.up()
    msg = str(exc.value)
    assert "toy" in msg and str(cls.port) in msg and "ICEFLOE_TOY_PORT" in msg
    assert stack.status()[0].pid is None


def test_service_dying_at_start_reports_exit_code_and_log_tail(tmp_path):
    stack, cls = make(tmp_path, script="import sys; print('boom: cannot open data dir'); sys.exit(3)")
    with pytest.raises(ServiceStartError) as exc:
        stack.up()
    msg = str(exc.value)
    assert "exited (code 3)" in msg and "boom: cannot open data dir" in msg
    assert str(tmp_path / "state" / "logs" / "toy.log") in msg


def test_up_is_idempotent_and_down_stops_only_what_it_started(tmp_path):
    stack, cls = make(tmp_path)
    try:
        first = stack.up()
        pid = stack.status()[0].pid
        assert stack.status()[0].healthy
        second = stack.up()
        assert second["toy"] == 0.0 and stack.status()[0].pid == pid
    finally:
        assert stack.down() == ["toy"]
    assert port_is_free("127.0.0.1", cls.port)
    assert stack.down() == []
    assert first["toy"] > 0


def test_service_that_dies_after_start_shows_unhealthy_and_is_restarted(tmp_path):
    import os
    import signal
    import time

    stack, cls = make(tmp_path)
    try:
        stack.up()
        os.kill(stack.status()[0].pid, signal.SIGKILL)
        time.sleep(0.5)
        st = stack.status()[0]
        assert not st.healthy and st.detail == "not running"
        stack.up()
        assert stack.status()[0].healthy
    finally:
        stack.down()


def test_stale_pid_file_never_signals_an_unrelated_process(tmp_path):
    import json
    import os

    stack, _ = make(tmp_path)
    svc = stack.services[0]
    svc.process.pid_file.parent.mkdir(parents=True)
    svc.process.pid_file.write_text(json.dumps({"pid": os.getpid(), "start_time": 1}))
    assert svc.process.pid is None
    assert stack.down() == []


def test_health_probe_answered_by_something_that_is_not_http_reports_it_instead_of_raising():
    """Seen with ICEFLOE_TRINO_PORT=58080 (inside Linux's ephemeral range 32768-60999): while Trino was
    not listening yet, the probe's own socket connected to itself (TCP simultaneous open) and read its
    request back as the answer; http.client raised BadStatusLine and `icefloe local up` failed with a
    traceback instead of waiting. Here a server echoes the request line back, as that socket did."""
    import threading

    from icefloe.local.services.base import http_health

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def echo() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(conn.recv(4096).split(b"\r\n")[0] + b"\r\n\r\n")

        t = threading.Thread(target=echo, daemon=True)
        t.start()
        reason = http_health(f"http://127.0.0.1:{port}/v1/info")
        t.join(5)
    assert reason is not None and "BadStatusLine" in reason and "GET /v1/info" in reason
