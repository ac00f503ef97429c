"""benchmarks/spark_cpu.py: processes and the Spark JVM's threads are grouped as named, /proc is read
right, and a real command's CPU is counted."""

import json
import os
import sys

import pytest

from benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def spark_cpu():
    return load_benchmark("spark_cpu")


def test_the_jvms_threads_are_grouped_by_their_names(spark_cpu):
    assert spark_cpu.thread_group("C2 CompilerThre") == "JIT: C2 compiler"
    assert spark_cpu.thread_group("C1 CompilerThre") == "JIT: C1 compiler"
    assert spark_cpu.thread_group("Executor task l") == "tasks"
    assert spark_cpu.thread_group("Thread-17") == "driver: Python's threads (planning, commits)"
    assert spark_cpu.thread_group("Thread-x") == "other JVM threads"  # py4j's threads are numbered
    assert spark_cpu.thread_group("GC Thread#1") == "garbage collector and safepoints"
    assert spark_cpu.thread_group("Signal Dispatch") == "other JVM threads"


def test_processes_are_grouped_by_pid_file_then_by_what_they_run(spark_cpu):
    services = {41: "s3"}
    assert spark_cpu.process_group("/cache/bin/versitygw\0--port\0x", services, 41) == "stack: s3"
    jvm = "/usr/bin/java\0-cp\0/x\0org.apache.spark.deploy.SparkSubmit\0pyspark-shell"
    assert spark_cpu.process_group(jvm, services, 7) == "Spark JVM"
    assert spark_cpu.process_group("python\0-m\0pyspark.daemon", services, 8) == "PySpark workers"
    assert spark_cpu.process_group("/r/.venv-spark/bin/python\0/r/jobs/spark/batch.py\0--mode", services, 9) \
        == "Python driver"
    assert spark_cpu.process_group("postgres: checkpointer ", services, 10) == "stack: postgres"
    assert spark_cpu.process_group("/usr/bin/gzip\0-d", services, 11) == "gzip"


def test_a_stat_line_gives_the_name_and_cpu_seconds_even_with_parentheses_in_the_name(spark_cpu):
    name, seconds = spark_cpu.cpu_seconds(open(f"/proc/{os.getpid()}/stat").read())
    assert name and seconds > 0
    hz = os.sysconf("SC_CLK_TCK")
    fields = ["S", *["0"] * 10, str(3 * hz), str(hz), *["0"] * 30]  # utime 3 s, stime 1 s
    assert spark_cpu.cpu_seconds(f"12 (odd) name) {' '.join(fields)}") == ("odd) name", 4.0)


def test_what_the_jvm_used_beyond_its_threads_last_readings_is_shown_as_such(spark_cpu):
    threads = {(1, 2): ("C2 CompilerThre", 5.0), (1, 3): ("Executor task l", 3.0), (1, 4): ("Executor task l", 1.0)}
    assert spark_cpu.group_threads(threads, {1: 10.0}) == {
        "JIT: C2 compiler": 5.0, "tasks": 4.0, "threads that ended between readings": 1.0}
    assert "threads that ended between readings" not in spark_cpu.group_threads(threads, {1: 9.0})


def test_a_commands_cpu_is_counted_while_it_runs(spark_cpu, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ICEFLOE_STATE_DIR", str(tmp_path / "state"))  # no stack: no services
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass"
    out = tmp_path / "cpu.json"
    assert spark_cpu.main(["--json", str(out), "--", sys.executable, "-c", busy]) == 0
    figures = json.loads(out.read_text())
    program = f"the command ({os.path.basename(sys.executable)})"
    assert figures["returncode"] == 0 and figures["wall_s"] >= 1.0
    assert 0.8 <= figures["processes"][program] <= figures["wall_s"] + 0.2  # the child's second of CPU
    assert figures["spark_jvm_threads"] == {}  # no Spark here
    assert "per process:" in capsys.readouterr().out


def test_a_failing_command_fails_the_benchmark(spark_cpu, tmp_path, monkeypatch):
    monkeypatch.setenv("ICEFLOE_STATE_DIR", str(tmp_path / "state"))
    assert spark_cpu.main(["--", sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_a_warm_jvm_counts_only_what_it_used_during_the_watch(spark_cpu, tmp_path, monkeypatch):
    """A warm driver's JVM was up (and busy) before the watch: its earlier CPU is not the command's."""
    import subprocess
    import time

    monkeypatch.setenv("ICEFLOE_STATE_DIR", str(tmp_path / "state"))
    burn = ("import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass\n"
            "print('ready', flush=True)\ntime.sleep(30)")
    jvm = subprocess.Popen([sys.executable, "-c", burn, spark_cpu.SPARK_JVM], stdout=subprocess.PIPE, text=True)
    try:
        assert jvm.stdout.readline().strip() == "ready"  # a second of CPU, before the watch
        watch = spark_cpu.Watch({})
        time.sleep(0.3)
        watch.read()
        assert watch.processes().get("Spark JVM", 0.0) < 0.2
        assert sum(watch.jvm_threads().values()) < 0.2
    finally:
        jvm.kill()
        jvm.wait()
