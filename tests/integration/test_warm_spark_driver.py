"""The warm Spark driver on the real stack: a second run reuses the first's JVM, a run with other
start-up settings replaces it, a run that finds it busy starts a driver of its own, a timed-out run
stops it."""

from __future__ import annotations

import json
import threading
import time

import pytest

pytestmark = pytest.mark.integration


def _staging(stack, table="stripe_refunds", timeout=None):
    from icefloe.jobs import result_line, run_spark

    run = run_spark("staging", ["--all"] if table == "all" else ["--table", table], stack.settings, timeout=timeout)
    return run, json.loads(result_line(run, "ICEFLOE_RESULT"))


def test_runs_share_one_warm_driver_until_its_settings_change(stack, monkeypatch):
    from icefloe import spark_daemon

    monkeypatch.delenv("ICEFLOE_SPARK_DAEMON", raising=False)
    first, result = _staging(stack)
    assert result["table"] == "staging.stg_stripe_refunds"
    pid = spark_daemon.ping(stack.settings)["pid"]
    assert f"pid {pid}" in first.driver
    second, again = _staging(stack)
    assert again["table"] == "staging.stg_stripe_refunds"
    info = spark_daemon.ping(stack.settings)
    assert info["pid"] == pid and info["runs"] >= 2 and f"pid {pid}" in second.driver
    assert second.log_file.read_text().startswith("# staging --table stripe_refunds: run by the warm Spark driver")

    # a setting the JVM reads at start-up: another driver (the old one is stopped)
    monkeypatch.setenv("ICEFLOE_SPARK_SHUFFLE_PARTITIONS", "3")
    third, _ = _staging(stack)
    new_pid = spark_daemon.ping(stack.settings)["pid"]
    assert new_pid != pid and f"pid {new_pid}" in third.driver
    assert not spark_daemon.process(stack.settings).pid == pid


def test_a_busy_warm_driver_sends_the_next_run_to_a_driver_of_its_own(stack, monkeypatch):
    from icefloe import spark_daemon

    monkeypatch.delenv("ICEFLOE_SPARK_DAEMON", raising=False)
    _staging(stack)  # the warm driver is up
    runs = {}
    slow = threading.Thread(target=lambda: runs.setdefault("warm", _staging(stack, "shopify_orders")[0]))
    slow.start()
    try:
        while not spark_daemon.ping(stack.settings)["busy"] and slow.is_alive():
            time.sleep(0.05)
        own, result = _staging(stack)
    finally:
        slow.join()
    assert result["table"] == "staging.stg_stripe_refunds"
    assert own.driver == "a Spark driver of its own"
    assert "warm Spark driver" in runs["warm"].driver


def test_a_timed_out_run_stops_the_warm_driver(stack, monkeypatch):
    from icefloe import spark_daemon
    from icefloe.jobs import JobFailed

    monkeypatch.delenv("ICEFLOE_SPARK_DAEMON", raising=False)
    _staging(stack)
    pid = spark_daemon.ping(stack.settings)["pid"]
    with pytest.raises(JobFailed, match="timed out"):  # (stopped mid-run, as a killed job: invariant 2)
        _staging(stack, "all", timeout=1)
    assert spark_daemon.ping(stack.settings) is None and spark_daemon.process(stack.settings).pid is None
    _staging(stack)  # the next run starts a new one
    assert spark_daemon.ping(stack.settings)["pid"] != pid
    assert spark_daemon.stop(stack.settings)  # what `icefloe local down` does first
    assert spark_daemon.ping(stack.settings) is None
