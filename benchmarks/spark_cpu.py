"""Where a batch run's CPU goes: per process of the machine and, inside the Spark JVM, per group of
threads (the JIT's compilers, the tasks, the driver's planning threads, the garbage collector).

    .venv/bin/python benchmarks/spark_cpu.py [--json FILE] [-- COMMAND ...]

Runs COMMAND (default: `icefloe batch run --mode incremental`, against the stack of the current
ICEFLOE_* settings) and reads /proc every half second until it ends: the CPU seconds each process
used meanwhile (grouped: the Spark JVM, the Python driver, the stack's services by their pid files,
the rest by program), and the Spark JVM's (`org.apache.spark.deploy.SparkSubmit`) threads grouped
by name. A thread that ends between two reads loses at most its last half second; what the JVM used
beyond its threads' last readings is shown as such. Linux only (/proc).

Why: on 2 cores an incremental run is CPU-bound, and a Java profiler's samples show only Java code.
At 10M deliveries, +1 % (issue 6), this showed the JIT's compiler threads using 75 of the Spark
JVM's 193 CPU-seconds (C2 alone 60), more than the tasks (68).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

#: thread names (as Linux shows them: the first 15 characters) -> group, first match wins
THREAD_GROUPS = (
    (r"^C2 CompilerThre", "JIT: C2 compiler"),
    (r"^C1 CompilerThre", "JIT: C1 compiler"),
    (r"^Sweeper thread", "JIT: code cache sweeper"),
    (r"^Executor task", "tasks"),
    (r"^Thread-\d+", "driver: Python's threads (planning, commits)"),
    (r"^(GC Thread|VM Thread|G1 |Parallel)", "garbage collector and safepoints"),
    (r"^(broadcast-excha|shuffle-exchang|ResultQueryStag|subquery)", "driver: broadcasts and query stages"),
    (r"^iceberg-", "Iceberg's worker pools"),
    (r"^(dag-scheduler|spark-listener|dispatcher-|task-result|shuffle-client|shuffle-server|rpc-|netty)",
     "Spark's scheduler and RPC"),
)
SPARK_JVM = "org.apache.spark.deploy.SparkSubmit"


def thread_group(name: str) -> str:
    return next((group for pattern, group in THREAD_GROUPS if re.match(pattern, name)), "other JVM threads")


def process_group(cmdline: str, services: dict[int, str], pid: int) -> str:
    """The group of a process: a stack service (by its pid file), the Spark JVM, PySpark's workers,
    the batch driver, else its program's name."""
    if services.get(pid) == "spark-daemon":  # the warm driver (icefloe.spark_daemon)
        return "Python driver"
    if pid in services:
        return f"stack: {services[pid]}"
    if SPARK_JVM in cmdline:
        return "Spark JVM"
    if "pyspark.daemon" in cmdline or "pyspark/daemon" in cmdline:
        return "PySpark workers"
    if "postgres" in cmdline:
        return "stack: postgres"
    if re.search(r"jobs/spark/\w+\.py", cmdline):
        return "Python driver"
    program = cmdline.split("\0")[0] if cmdline else ""
    return Path(program).name or "?"


def cpu_seconds(stat: str) -> tuple[str, float]:
    """(name, utime + stime in seconds) from a /proc/.../stat line (the name may hold spaces and parentheses)."""
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None


def stack_services() -> dict[int, str]:
    """pid -> service name, for the running services of the stack of the current ICEFLOE_* settings
    (their pid files, read as the stack reads them: a stale pid is not taken)."""
    from icefloe.config import StackSettings
    from icefloe.local.process import ManagedProcess

    services = {}
    for pid_file in StackSettings().run_dir.glob("*.pid"):
        pid = ManagedProcess(pid_file.stem, pid_file, Path(os.devnull)).pid
        if pid:
            services[pid] = pid_file.stem
    return services


def _by_size(pairs) -> dict[str, float]:
    """(key, seconds) pairs summed per key, the largest first."""
    totals: dict[str, float] = {}
    for key, seconds in pairs:
        totals[key] = totals.get(key, 0.0) + seconds
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


class Watch:
    """The latest CPU reading of every process and of every thread of the Spark JVM."""

    def __init__(self, services: dict[int, str]) -> None:
        self.services = services
        #: pid -> group, before any rule: this watch itself, the command it started
        self.named: dict[int, str] = {os.getpid(): "spark_cpu.py (this watch)"}
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.threads: dict[tuple[int, int], tuple[str, float]] = {}
        #: a JVM's threads as first read (a warm driver's JVM was busy before this watch began)
        self.threads_first: dict[tuple[int, int], float] = {}
        self.read(first=True)

    def read(self, first: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat, cmdline = _read(f"/proc/{pid}/stat"), _read(f"/proc/{pid}/cmdline")
            if stat is None or cmdline is None:
                continue
            seconds = cpu_seconds(stat)[1]
            if first:
                self.first[pid] = seconds
            # a process's group is fixed when first seen: an exiting process has no command line
            if pid in self.last:
                group = self.last[pid][0]
            else:
                group = self.named.get(pid) or process_group(cmdline, self.services, pid)
            self.last[pid] = (group, seconds)
            if group == "Spark JVM":
                for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
                    tstat = _read(f"/proc/{pid}/task/{tid}/stat")
                    if tstat is not None:
                        name, used = cpu_seconds(tstat)
                        if first:
                            self.threads_first[(pid, int(tid))] = used
                        self.threads[(pid, int(tid))] = (name, used - self.threads_first.get((pid, int(tid)), 0.0))

    def processes(self) -> dict[str, float]:
        used = ((group, seconds - self.first.get(pid, 0.0)) for pid, (group, seconds) in self.last.items())
        return _by_size((group, seconds) for group, seconds in used if seconds > 0)

    def jvm_thread_names(self) -> dict[str, float]:
        """CPU seconds per thread name (numbers folded: `Executor task launch worker for task 3` and
        `... 7` are one), for what the groups leave as other."""
        names = _by_size((re.sub(r"\d+", "N", name), seconds) for name, seconds in self.threads.values())
        return {name: round(seconds, 2) for name, seconds in names.items() if seconds >= 0.1}

    def jvm_threads(self) -> dict[str, float]:
        return group_threads(self.threads, {pid: s - self.first.get(pid, 0.0)
                                            for pid, (g, s) in self.last.items() if g == "Spark JVM"})


def group_threads(threads: dict[tuple[int, int], tuple[str, float]], jvm_totals: dict[int, float]) -> dict[str, float]:
    """CPU seconds per thread group; what the JVMs used beyond their threads' last readings (threads
    that ended between two readings) as its own line."""
    pairs = [(thread_group(name), seconds) for name, seconds in threads.values()]
    unseen = sum(jvm_totals.values()) - sum(seconds for _, seconds in pairs)
    if unseen > 0.05:
        pairs.append(("threads that ended between readings", unseen))
    return _by_size(pairs)


def report(wall: float, processes: dict[str, float], threads: dict[str, float]) -> str:
    cores = os.cpu_count() or 1
    used = sum(processes.values())
    lines = [f"wall {wall:.1f} s; CPU used {used:.1f} s of the {wall * cores:.1f} s that {cores} cores offer "
             f"({100 * used / (wall * cores):.0f} %)", "", "per process:"]
    lines += [f"  {seconds:8.1f} s  {group}" for group, seconds in processes.items() if seconds >= 0.1]
    if threads:
        jvm = sum(threads.values())
        lines += ["", f"inside the Spark JVM ({jvm:.1f} s), per group of threads:"]
        lines += [f"  {seconds:8.1f} s  {100 * seconds / jvm:4.0f} %  {group}" for group, seconds in threads.items()
                  if seconds >= 0.1]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command to watch")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    command = command or [
        str(Path(sys.executable).parent / "icefloe"), "batch", "run", "--mode", "incremental"]
    if not os.path.isdir("/proc/self/task"):
        raise SystemExit("spark_cpu.py reads /proc: Linux only")
    watch = Watch(stack_services())
    started = time.monotonic()
    process = subprocess.Popen(command)
    watch.named[process.pid] = f"the command ({Path(command[0]).name})"
    while process.poll() is None:
        time.sleep(0.5)
        watch.read()
    wall = time.monotonic() - started
    processes, threads = watch.processes(), watch.jvm_threads()
    print(report(wall, processes, threads))
    if args.json:
        args.json.write_text(json.dumps({"command": command, "returncode": process.returncode, "wall_s": round(wall, 2),
                                         "processes": processes, "spark_jvm_threads": threads,
                                         "spark_jvm_thread_names": watch.jvm_thread_names()}, indent=2))
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
