"""Run the Flink and Spark jobs locally, each in its own virtualenv (PyFlink and PySpark pin
different py4j versions), with the local profile and the cached jars.

The job files themselves (`jobs/flink/runner.py`, `jobs/spark/*.py`) read nothing but the
`ICEFLOE_` contract; this module only supplies it, plus where the jars are.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from icefloe import PROJECT_ROOT, spark_daemon
from icefloe.config import StackSettings, read_env_file
from icefloe.local.errors import StackError
from icefloe.local.fetch import find_java, maven_jars

log = logging.getLogger(__name__)

FLINK_RUNNER = PROJECT_ROOT / "jobs" / "flink" / "runner.py"
SPARK_JOBS = PROJECT_ROOT / "jobs" / "spark"


class JobFailed(StackError):
    pass


@dataclass
class JobRun:
    returncode: int
    seconds: float
    log_file: Path
    output: str
    driver: str = "a Spark driver of its own"  # or the warm one (icefloe.spark_daemon)


def _python(kind: str) -> Path:
    override = os.environ.get(f"ICEFLOE_{kind.upper()}_PYTHON")
    py = Path(override) if override else PROJECT_ROOT / f".venv-{kind}" / "bin" / "python"
    if not py.exists():
        raise StackError(f"the {kind} virtualenv is missing ({py}); run `make setup`")
    return py


def job_env(stack: StackSettings, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ}
    env.update({k: v for k, v in read_env_file(stack.profile_env).items() if k not in os.environ})
    java = find_java(stack.java_home)
    env["JAVA_HOME"] = str(java.parent.parent)
    env["PATH"] = f"{java.parent}:{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def _run(argv: list[str], env: dict[str, str], log_file: Path, on_line: Callable[[str], None] | None,
         timeout: float | None) -> JobRun:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    lines: list[str] = []
    with log_file.open("w") as logf, subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
        start_new_session=True,
    ) as proc:
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                logf.write(line)
                logf.flush()
                lines.append(line)
                if on_line:
                    on_line(line.rstrip("\n"))
                if timeout and time.monotonic() - t0 > timeout:
                    proc.kill()
                    raise JobFailed(f"{argv[1]} timed out after {timeout:.0f}s; log: {log_file}")
            proc.wait()
        except BaseException:
            proc.kill()
            raise
    return _checked(JobRun(proc.returncode, time.monotonic() - t0, log_file, "".join(lines)), Path(argv[1]).name)


def _checked(run: JobRun, name: str) -> JobRun:
    """The run, or JobFailed with the log's last lines, each cut short (Spark prints whole query plans)."""
    if run.returncode != 0:
        lines = run.output.splitlines(keepends=True)
        tail = "".join(ln if len(ln) < 400 else ln[:400] + " ...\n" for ln in lines[-30:])
        raise JobFailed(f"{name} failed (exit {run.returncode}); full log: {run.log_file}\n{tail}")
    return run


def flink_jars(stack: StackSettings) -> list[Path]:
    return maven_jars("flink", stack.cache_dir)


def spark_jars(stack: StackSettings) -> list[Path]:
    return maven_jars("spark", stack.cache_dir)


def flink_env(stack: StackSettings) -> dict[str, str]:
    (stack.logs_dir / "flink").mkdir(parents=True, exist_ok=True)
    return job_env(stack, {
        "ICEFLOE_FLINK_JARS": ",".join(str(j) for j in flink_jars(stack)),
        # otherwise Flink writes its own logs inside the virtualenv
        "FLINK_LOG_DIR": str(stack.logs_dir / "flink"),
    })


def run_flink(args: list[str], stack: StackSettings | None = None, on_line=None,
              timeout: float | None = None) -> JobRun:
    """`jobs/flink/runner.py <args>` in a PyFlink mini-cluster."""
    stack = stack or StackSettings()
    env = flink_env(stack)
    log_file = stack.logs_dir / f"flink-{time.strftime('%Y%m%d-%H%M%S')}.log"
    return _run([str(_python("flink")), str(FLINK_RUNNER), *args], env, log_file, on_line, timeout)


def package_flink_app(stack: StackSettings | None = None, out_dir: Path | None = None) -> Path:
    """Build the Managed Flink application zip: the runner, its SQL, sources.yaml and one uber jar.

    Layout (paths relative to the zip root, as Managed Flink's `kinesis.analytics.flink.run.options`
    expects them): `jobs/flink/runner.py` (python), `jobs/flink/lib/icefloe-flink-app.jar`
    (jarfile), `sql/00_raw/*.sql`, `sources.yaml`.
    """
    import hashlib
    import shutil
    import zipfile

    from icefloe.local.fetch import MAVEN_DIR, _run

    stack = stack or StackSettings()
    pom = MAVEN_DIR / "flink-app" / "pom.xml"
    build = stack.cache_dir / "flink-app" / hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    jar = build / "target" / "icefloe-flink-app-0.1.0.jar"
    if not jar.exists():
        build.mkdir(parents=True, exist_ok=True)
        shutil.copy(pom, build / "pom.xml")
        log.info("building the Flink application uber jar with Maven (once; cached in %s)", build)
        _run(["mvn", "-q", "-B", "-f", str(build / "pom.xml"), "package", "-DskipTests"],
             "building the Flink application jar")
    out_dir = out_dir or PROJECT_ROOT / "dist"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "icefloe-flink-app.zip"
    tmp = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(FLINK_RUNNER, "jobs/flink/runner.py")
        for sql in sorted((PROJECT_ROOT / "sql" / "00_raw").glob("*.sql")):
            z.write(sql, f"sql/00_raw/{sql.name}")
        z.write(PROJECT_ROOT / "sources.yaml", "sources.yaml")
        z.write(jar, "jobs/flink/lib/icefloe-flink-app.jar", compress_type=zipfile.ZIP_STORED)
    tmp.replace(target)
    return target


class StreamingJob:
    """The raw-layer Flink job running continuously in the background (`icefloe flink start`).

    It restarts from the newest retained checkpoint, so Kafka offsets and Iceberg commits stay
    consistent across stops, crashes and `kill -9` (exactly-once).
    """

    def __init__(self, stack: StackSettings | None = None) -> None:
        from icefloe.local.process import ManagedProcess

        self.stack = stack or StackSettings()
        self.process = ManagedProcess("flink-job", self.stack.run_dir / "flink-job.pid",
                                      self.stack.logs_dir / "flink-job.log")

    def start(self, sources: str = "all", checkpoint_interval: str = "10s", resume: bool = True) -> int:
        if self.process.is_running():
            return self.process.pid  # type: ignore[return-value]
        args = [str(_python("flink")), str(FLINK_RUNNER), "--sources", sources,
                "--checkpoint-interval", checkpoint_interval]
        if resume:
            args += ["--resume-from", "latest"]
        return self.process.start(args, flink_env(self.stack), cwd=PROJECT_ROOT)

    def stop(self) -> bool:
        return self.process.stop(timeout=30)

    def job_id(self) -> str | None:
        if not self.process.log_file.exists():
            return None
        ids = [ln.split()[-1] for ln in self.process.log_file.read_text(errors="replace").splitlines()
               if ln.startswith("ICEFLOE_FLINK_JOB_ID")]
        return ids[-1] if ids else None


#: JVM flags of a local Spark job (ICEFLOE_SPARK_JAVA_OPTIONS replaces them). The parallel collector
#: rather than G1: on 2 cores G1's concurrent threads take CPU from the tasks, and a batch run is a
#: throughput job with no pause target (an incremental batch run over 5M deliveries, +1 %, the same
#: tables restored between runs: 168.7 / 179.6 s with G1, 161.6 / 164.4 s with it).
SPARK_JAVA_OPTIONS = "-XX:+UseParallelGC"
#: ICEFLOE_SPARK_CLASS_ARCHIVE=0 turns the class-data archive off
CLASS_ARCHIVE_ENV = "ICEFLOE_SPARK_CLASS_ARCHIVE"
KEEP_ARCHIVES = 3


def spark_class_archive(stack: StackSettings, java_home: Path) -> Path | None:
    """Where the class-data archive (AppCDS) of local Spark jobs lives, named after what it holds:
    the JVM and every jar on Spark's class path (another JVM or a changed jar gets another archive,
    so the JVM never has to reject a stale one). None when it is turned off or PySpark's jars cannot
    be found."""
    if os.environ.get(CLASS_ARCHIVE_ENV, "1").strip() in ("0", "false", "no"):
        return None
    venv = _python("spark").parent.parent
    jars = sorted(venv.glob("lib/python*/site-packages/pyspark/jars/*.jar"))
    if not jars:
        return None
    digest = hashlib.sha256()
    for path in [java_home / "bin" / "java", java_home / "lib" / "server" / "libjvm.so", *jars,
                 *spark_jars(stack)]:
        if path.exists():
            st = path.stat()
            digest.update(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return stack.cache_dir / "spark-cds" / f"spark-{digest.hexdigest()[:16]}.jsa"


@dataclass
class SparkLaunch:
    """How a local Spark job is started: its argv and environment, and the class-data archive its
    JVM maps (`archive`, when it exists) or writes at exit into `writes_to` (when there is none yet)."""

    argv: list[str]
    env: dict[str, str]
    archive: Path | None = None
    writes_to: Path | None = None

    @property
    def maps_archive(self) -> bool:
        return self.archive is not None and self.writes_to is None and self.archive.exists()


def spark_launch(job: str, args: list[str], stack: StackSettings | None = None,
                 extra_env: dict[str, str] | None = None, write_class_archive: bool = False) -> SparkLaunch:
    """The launch of `jobs/spark/<job>.py <args>` with PySpark in local mode.

    The JVM maps the class-data archive of `spark_class_archive` when there is one: classes loaded
    and verified once, not at every start (a Spark start and its first queries: 12.8-13.8 s without,
    8.4-9.2 s with). With `write_class_archive` and no archive yet, the JVM writes one when it exits
    (which takes it 10-20 s longer, once) into a file of its own, which `run_spark` moves into place."""
    stack = stack or StackSettings()
    script = SPARK_JOBS / f"{job}.py"
    if not script.exists():
        raise StackError(f"no Spark job {job!r} ({script})")
    env = job_env(stack, {
        "ICEFLOE_SPARK_JARS": ",".join(str(j) for j in spark_jars(stack)),
        "ICEFLOE_SPARK_MASTER": os.environ.get("ICEFLOE_SPARK_MASTER", "local[2]"),
        "ICEFLOE_SPARK_JAVA_OPTIONS": os.environ.get("ICEFLOE_SPARK_JAVA_OPTIONS", SPARK_JAVA_OPTIONS),
        "ICEFLOE_SPARK_WAREHOUSE_DIR": str(stack.state_dir / "spark-warehouse"),
        "PYSPARK_PYTHON": str(_python("spark")),
        "SPARK_LOCAL_IP": stack.host,
        **(extra_env or {}),
    })
    launch = SparkLaunch([str(_python("spark")), str(script), *args], env,
                         spark_class_archive(stack, Path(env["JAVA_HOME"])))
    cds = ""
    if launch.archive and launch.archive.exists():
        cds = f"-XX:SharedArchiveFile={launch.archive}"
    elif launch.archive and write_class_archive:
        launch.archive.parent.mkdir(parents=True, exist_ok=True)
        launch.writes_to = launch.archive.with_name(f"{launch.archive.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
        cds = f"-XX:ArchiveClassesAtExit={launch.writes_to}"
    options = env["ICEFLOE_SPARK_JAVA_OPTIONS"].split()
    if not any(o.startswith("-XX:ErrorFile=") for o in options):
        # a JVM that crashes writes its report beside the job logs, not into the working directory
        options.append(f"-XX:ErrorFile={stack.logs_dir / 'hs_err_spark_%p.log'}")
    if cds:  # -Xlog: an archive the JVM cannot map is skipped silently (it starts as without one)
        options += [cds, "-Xlog:cds*=off"]
    env["ICEFLOE_SPARK_JAVA_OPTIONS"] = " ".join(options)
    return launch


def spark_command(job: str, args: list[str], stack: StackSettings | None = None,
                  extra_env: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run `jobs/spark/<job>.py <args>` with PySpark in local mode
    (for a caller that manages the process itself, e.g. a test that kills it mid-run)."""
    launch = spark_launch(job, args, stack, extra_env)
    return launch.argv, launch.env


def run_spark(job: str, args: list[str], stack: StackSettings | None = None, on_line=None,
              timeout: float | None = None) -> JobRun:
    """`jobs/spark/<job>.py <args>` with PySpark in local mode (the first run on a machine, or after
    an upgrade of Java or of a jar, also writes the class-data archive the next ones start from).

    A run that fails with an archive no JVM can start with any more (damaged on disk after it was
    adopted) deletes it and runs again without it: its JVM never started, so nothing was done."""
    stack = stack or StackSettings()
    log_file = stack.logs_dir / f"spark-{job}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    if spark_daemon.enabled() and job in spark_daemon.JOBS:
        warm = spark_launch(job, args, stack)
        ran = spark_daemon.run(job, args, stack, warm.argv, warm.env, log_file, on_line, timeout)
        if ran is not None:
            code, seconds, output, driver = ran
            return _checked(JobRun(code, seconds, log_file, output, driver), f"{job}.py")
        log.info("the warm Spark driver is busy with another run: %s starts a driver of its own", job)
    launch = spark_launch(job, args, stack, write_class_archive=True)
    java = Path(launch.env["JAVA_HOME"]) / "bin" / "java"
    finished = False
    try:
        run = _run(launch.argv, launch.env, log_file, on_line, timeout)
        finished = True
    except JobFailed:
        if launch.maps_archive and not _jvm_starts_with(launch.archive, java):
            failed_log = log_file.with_name(f"{log_file.stem}-damaged-archive.log")  # the rerun's log is new
            if log_file.exists():
                log_file.replace(failed_log)
            log.warning("the Spark class-data archive %s is damaged (no JVM starts with it): deleted; running %s "
                        "again without it (log of the failed run: %s)", launch.archive, job, failed_log)
            launch.archive.unlink(missing_ok=True)
            return run_spark(job, args, stack, on_line, timeout)
        raise
    finally:
        if launch.writes_to:
            _adopt_class_archive(launch.writes_to, launch.archive, finished, java)
    return run


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # another run removed it meanwhile
        return 0.0


def _jvm_starts_with(archive: Path, java: Path) -> bool:
    """Whether `java -version` runs with the archive mapped (a cut-short or damaged one makes the JVM
    crash rather than start without it)."""
    crash_log = archive.with_name(archive.name + ".hs_err.log")  # not in the working directory
    check = subprocess.run([str(java), f"-XX:SharedArchiveFile={archive}", "-Xlog:cds*=off",
                            f"-XX:ErrorFile={crash_log}", "-version"], capture_output=True, timeout=60)
    crash_log.unlink(missing_ok=True)
    if check.returncode != 0:
        log.warning("no JVM starts with the Spark class-data archive %s (java exit %s)", archive, check.returncode)
    return check.returncode == 0


def _adopt_class_archive(written: Path, archive: Path, whole: bool, java: Path) -> None:
    """Move the archive a run wrote into place (the oldest beyond KEEP_ARCHIVES go). One
    written by a run that failed or was stopped is dropped, and so is one a JVM cannot start with."""
    if not written.exists():
        return
    if not (whole and _jvm_starts_with(written, java)):
        written.unlink(missing_ok=True)
        return
    written.replace(archive)
    # those of other JVMs, jars or checkouts: the newest few stay (~180 MB each)
    archives = sorted(archive.parent.glob("spark-*.jsa"), key=_mtime, reverse=True)
    for old in archives[KEEP_ARCHIVES:]:
        old.unlink(missing_ok=True)
    log.info("Spark class-data archive written: %s (once, at this job's exit, which it made 10-20 s longer; "
             "later Spark starts map their classes from it)", archive)


def result_line(run: JobRun, marker: str) -> str | None:
    for line in run.output.splitlines():
        if line.startswith(marker):
            return line[len(marker):].strip()
    return None


if __name__ == "__main__":  # pragma: no cover - debugging aid
    kind, *rest = sys.argv[1:]
    print(run_flink(rest) if kind == "flink" else run_spark(rest[0], rest[1:]))
