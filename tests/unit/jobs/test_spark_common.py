from pathlib import Path

import pytest


def test_layer_sql_files_split_into_ddl_and_transform(spark_common):
    sql = spark_common.LayerSql.load("01_staging", "stg_shopify_orders")
    assert sql.ddl.startswith("CREATE TABLE IF NOT EXISTS staging.stg_shopify_orders")
    assert "'format-version' = '2'" in sql.ddl and "zstd" in sql.ddl
    code = [ln for ln in sql.transform.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    assert code[0].startswith("SELECT") and "FROM raw_batch" in [ln.strip() for ln in code]


def test_settings_come_only_from_the_contract_and_name_the_missing_variable(spark_common):
    with pytest.raises(SystemExit, match="ICEFLOE_CATALOG_URI"):
        spark_common.SparkSettings.from_env({})
    s = spark_common.SparkSettings.from_env({
        "ICEFLOE_CATALOG_URI": "http://c", "ICEFLOE_S3_ENDPOINT": "http://s3", "ICEFLOE_S3_PATH_STYLE": "true",
        "ICEFLOE_S3_ACCESS_KEY_ID": "a", "ICEFLOE_S3_SECRET_ACCESS_KEY": "b"})
    conf = s.catalog_conf()
    assert conf["spark.sql.catalog.icefloe.type"] == "rest"
    assert conf["spark.sql.catalog.icefloe.s3.path-style-access"] == "true"
    assert conf["spark.sql.catalog.icefloe.io-impl"] == "org.apache.iceberg.aws.s3.S3FileIO"


def test_on_aws_the_catalog_signs_with_sigv4_and_has_no_endpoint(spark_common):
    s = spark_common.SparkSettings.from_env({"ICEFLOE_CATALOG_URI": "https://glue", "ICEFLOE_CATALOG_SIGV4": "true"})
    conf = s.catalog_conf()
    assert conf["spark.sql.catalog.icefloe.rest.sigv4-enabled"] == "true"
    assert not any("s3.endpoint" in k for k in conf)


def test_pause_point_is_a_no_op_unless_the_environment_names_it(spark_common, tmp_path):
    spark_common.pause_point("planned", {})
    spark_common.pause_point("planned", {"ICEFLOE_TEST_PAUSE_AT": "between_commits",
                                         "ICEFLOE_TEST_PAUSE_DIR": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []


def test_pause_point_waits_for_the_resume_file_and_says_where_it_paused(spark_common, tmp_path, capsys):
    import threading

    env = {"ICEFLOE_TEST_PAUSE_AT": "planned", "ICEFLOE_TEST_PAUSE_DIR": str(tmp_path)}

    def resume_when_paused():
        while not (tmp_path / "paused-planned").exists():
            pass
        (tmp_path / "resume-planned").touch()

    t = threading.Thread(target=resume_when_paused)
    t.start()
    spark_common.pause_point("planned", env, timeout_s=30)
    t.join()
    assert "ICEFLOE_PAUSED planned" in capsys.readouterr().out


def test_pause_point_gives_up_after_its_timeout_and_rejects_unknown_points(spark_common, tmp_path):
    env = {"ICEFLOE_TEST_PAUSE_AT": "planned", "ICEFLOE_TEST_PAUSE_DIR": str(tmp_path)}
    with pytest.raises(TimeoutError, match="resume-planned"):
        spark_common.pause_point("planned", env, timeout_s=0.2)
    with pytest.raises(ValueError, match="between_commits"):
        spark_common.pause_point("nowhere", {"ICEFLOE_TEST_PAUSE_AT": "nowhere"})


class _Session:
    """Stands in for a SparkSession: records its statements (side_by_side only creates the watermark
    table and asks for new sessions)."""

    def __init__(self):
        self.statements = []

    def sql(self, text):
        self.statements.append(text)

    def newSession(self):  # noqa: N802 - PySpark's name
        return _Session()


def test_side_by_side_builds_every_item_in_its_own_session_and_reports_each(spark_common):
    import threading

    spark, seen, both_running = _Session(), [], threading.Barrier(2, timeout=10)

    def build(session, item):
        both_running.wait()  # would time out if the items ran one after another
        return {"item": item, "session": id(session)}

    results = spark_common.side_by_side(spark, ["a", "b"], build, on_result=seen.append, workers=2)
    assert sorted(r["item"] for r in results) == ["a", "b"] and len(seen) == 2
    assert len({r["session"] for r in results} | {id(spark)}) == 3  # two new sessions, not the caller's
    assert all(r["seconds"] >= 0 for r in results)
    assert "incremental_watermarks" in spark.statements[0]  # created once, before the threads


def test_side_by_side_finishes_the_other_items_before_raising_the_failure(spark_common):
    done = []

    def build(session, item):
        if item == "bad":
            raise RuntimeError("bad table")
        done.append(item)
        return {"item": item}

    with pytest.raises(RuntimeError, match="bad table"):
        spark_common.side_by_side(_Session(), ["bad", "x", "y", "z"], build, workers=2)
    assert sorted(done) == ["x", "y", "z"]


def test_parallelism_is_a_whole_number_from_the_environment(spark_common):
    assert spark_common.parallelism({}) == 4
    assert spark_common.parallelism({"ICEFLOE_BATCH_PARALLELISM": "1"}) == 1
    with pytest.raises(SystemExit, match="ICEFLOE_BATCH_PARALLELISM"):
        spark_common.parallelism({"ICEFLOE_BATCH_PARALLELISM": "0"})


@pytest.mark.parametrize("workers", [1, 3])
def test_side_by_side_commits_the_watermarks_of_a_group_once_after_its_writes(spark_common, workers):
    spark, order = _Session(), []

    def build(session, item):
        order.append(f"write {item}")
        if item == "bad":
            raise RuntimeError("bad table")  # before its watermark: it must not advance
        spark_common.write_watermarks(session, f"staging.{item}", {f"raw.{item}": 7, "raw.none": None}, 1)
        order.append(f"watermark {item}")
        return {"item": item}

    with pytest.raises(RuntimeError, match="bad table"):
        spark_common.side_by_side(spark, ["a", "b", "bad"] if workers > 1 else ["a", "b", "bad", "c"], build,
                                  workers=workers)
    merges = [s for s in spark.statements if s.lstrip().startswith("MERGE INTO")]
    assert len(merges) == 1  # one commit for the group, made by the caller's session
    assert "'staging.a', 'raw.a'" in merges[0] and "'staging.b', 'raw.b'" in merges[0]
    assert "bad" not in merges[0] and "raw.none" not in merges[0]
    assert "c" not in {o.split()[1] for o in order}  # one at a time stops at the first failure
    assert spark_common._DEFERRED is None  # outside a group each write commits at once again
    spark_common.write_watermarks(spark, "staging.z", {"raw.z": 8}, 1)
    assert sum(s.lstrip().startswith("MERGE INTO") for s in spark.statements) == 2


def test_side_by_side_reports_one_result_at_a_time(spark_common):
    """The callbacks print `ICEFLOE_RESULT` lines: two at once would interleave into one bad line."""
    import threading
    import time

    inside, overlaps, ready = [], [], threading.Barrier(4, timeout=10)

    def build(session, item):
        ready.wait()  # all four finish together
        return {"item": item}

    def on_result(result):
        if inside:
            overlaps.append(result["item"])
        inside.append(1)
        time.sleep(0.05)
        inside.pop()

    spark_common.side_by_side(_Session(), ["a", "b", "c", "d"], build, on_result=on_result, workers=4)
    assert overlaps == []


def test_the_driver_jvm_gets_the_quiet_logging_and_the_launchers_flags(spark_common):
    options = spark_common.driver_java_options({"ICEFLOE_SPARK_JAVA_OPTIONS": " -XX:+UseParallelGC  -Xss4m "})
    assert options.split()[0].startswith("-Dlog4j2.configurationFile=file:")
    assert options.split()[1:] == ["-XX:+UseParallelGC", "-Xss4m"]
    assert spark_common.driver_java_options({}).split()[1:] == []  # on a cluster: nothing of ours


def test_a_local_spark_job_runs_with_the_parallel_collector_unless_told_otherwise(fake_spark_venv, monkeypatch):
    from icefloe import jobs

    stack = fake_spark_venv["stack"]
    crash_report = f"-XX:ErrorFile={stack.logs_dir / 'hs_err_spark_%p.log'}"  # not into the checkout
    options = jobs.spark_command("staging", [], stack)[1]["ICEFLOE_SPARK_JAVA_OPTIONS"]
    assert options == f"-XX:+UseParallelGC {crash_report}"
    monkeypatch.setenv("ICEFLOE_SPARK_JAVA_OPTIONS", "-XX:+UseG1GC")
    assert jobs.spark_command("staging", [], stack)[1]["ICEFLOE_SPARK_JAVA_OPTIONS"] == f"-XX:+UseG1GC {crash_report}"
    monkeypatch.setenv("ICEFLOE_SPARK_JAVA_OPTIONS", "-XX:ErrorFile=/tmp/mine.log")  # the user's own stands
    assert jobs.spark_command("staging", [], stack)[1]["ICEFLOE_SPARK_JAVA_OPTIONS"] == "-XX:ErrorFile=/tmp/mine.log"


@pytest.fixture
def fake_spark_venv(monkeypatch, tmp_path):
    """A Spark virtualenv with two PySpark jars, a JDK and an extra jar, none of them real."""
    from icefloe import jobs

    jars = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "pyspark" / "jars"
    jars.mkdir(parents=True)
    for name in ("spark-core.jar", "spark-sql.jar"):
        (jars / name).write_bytes(b"jar")
    (tmp_path / "venv" / "bin").mkdir()
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    extra = tmp_path / "iceberg.jar"
    extra.write_bytes(b"jar")
    monkeypatch.setattr(jobs, "_python", lambda kind: tmp_path / "venv" / "bin" / "python")
    monkeypatch.setattr(jobs, "spark_jars", lambda stack: [extra])
    monkeypatch.setattr(jobs, "find_java", lambda java_home: java)
    monkeypatch.delenv("ICEFLOE_SPARK_JAVA_OPTIONS", raising=False)
    monkeypatch.delenv("ICEFLOE_SPARK_CLASS_ARCHIVE", raising=False)
    monkeypatch.setenv("ICEFLOE_SPARK_DAEMON", "0")  # a driver per run: what these tests launch
    return {"jars": jars, "java": java, "extra": extra, "stack": _stack(tmp_path)}


def _stack(tmp_path):
    from icefloe.config import StackSettings

    return StackSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")


def test_the_class_archive_is_named_after_the_jvm_and_every_jar(fake_spark_venv, monkeypatch):
    import os

    from icefloe import jobs

    stack, jdk = fake_spark_venv["stack"], fake_spark_venv["java"].parent.parent
    first = jobs.spark_class_archive(stack, jdk)
    assert first.parent == stack.cache_dir / "spark-cds" and first.name.endswith(".jsa")
    assert jobs.spark_class_archive(stack, jdk) == first
    os.utime(fake_spark_venv["extra"], ns=(1, 1))  # a jar upgraded: another archive, never a stale one
    assert jobs.spark_class_archive(stack, jdk) != first
    monkeypatch.setenv("ICEFLOE_SPARK_CLASS_ARCHIVE", "0")
    assert jobs.spark_class_archive(stack, jdk) is None


def test_a_spark_job_maps_the_archive_once_there_is_one_and_writes_it_only_when_asked(fake_spark_venv):
    from icefloe import jobs

    stack = fake_spark_venv["stack"]
    archive = jobs.spark_class_archive(stack, fake_spark_venv["java"].parent.parent)
    options = jobs.spark_command("staging", [], stack)[1]["ICEFLOE_SPARK_JAVA_OPTIONS"]
    assert "Archive" not in options and "SharedArchiveFile" not in options  # none yet, none asked for
    writing = jobs.spark_launch("staging", [], stack, write_class_archive=True)
    assert writing.archive == archive and writing.writes_to.parent == archive.parent
    assert writing.writes_to.name.startswith(archive.name) and writing.writes_to.name.endswith(".tmp")
    assert writing.env["ICEFLOE_SPARK_JAVA_OPTIONS"].split()[2:] == [
        f"-XX:ArchiveClassesAtExit={writing.writes_to}", "-Xlog:cds*=off"]
    archive.write_bytes(b"archive")
    mapped = jobs.spark_launch("staging", [], stack, write_class_archive=True)
    assert mapped.maps_archive and mapped.writes_to is None
    assert mapped.env["ICEFLOE_SPARK_JAVA_OPTIONS"].split()[2:] == [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds*=off"]


def test_a_run_that_fails_on_a_damaged_archive_deletes_it_and_runs_again_without_it(fake_spark_venv, monkeypatch):
    from icefloe import jobs

    stack, java = fake_spark_venv["stack"], fake_spark_venv["java"]
    # the JVM crashes (SIGBUS, exit 134) with the damaged archive mapped, and starts without it
    java.write_text('#!/bin/sh\ncase "$1" in -XX:SharedArchiveFile=*) grep -q damaged "${1#*=}" && exit 134;; esac\n'
                    'exit 0\n')
    archive = jobs.spark_class_archive(stack, java.parent.parent)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"damaged")
    launched = []

    def fake_run(argv, env, log_file, on_line, timeout):
        launched.append(env["ICEFLOE_SPARK_JAVA_OPTIONS"])
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(f"run {len(launched)}\n")
        if "SharedArchiveFile" in env["ICEFLOE_SPARK_JAVA_OPTIONS"]:
            raise jobs.JobFailed("staging.py failed (exit 1): Java gateway process exited")
        Path(env["ICEFLOE_SPARK_JAVA_OPTIONS"].split("ArchiveClassesAtExit=")[1].split()[0]).write_bytes(b"new")
        return jobs.JobRun(0, 1.0, log_file, "")

    monkeypatch.setattr(jobs, "_run", fake_run)
    assert jobs.run_spark("staging", [], stack).returncode == 0
    assert [("SharedArchiveFile" in o, "ArchiveClassesAtExit" in o) for o in launched] == [(True, False),
                                                                                          (False, True)]
    assert archive.read_bytes() == b"new"  # the second run wrote a new one, which a JVM starts with
    logs = {p.name: p.read_text() for p in stack.logs_dir.glob("spark-staging-*.log")}
    assert sorted(logs.values()) == ["run 1\n", "run 2\n"]  # both logs kept, even within one second
    assert [n for n, text in logs.items() if text == "run 1\n"][0].endswith("-damaged-archive.log")

    # a job that fails with a sound archive fails, once, and keeps it
    launched.clear()
    with pytest.raises(jobs.JobFailed):
        jobs.run_spark("staging", [], stack)
    assert len(launched) == 1 and archive.read_bytes() == b"new"


def test_an_archive_is_adopted_only_from_a_whole_run_and_if_a_jvm_starts_with_it(fake_spark_venv, tmp_path):
    from icefloe import jobs

    java = fake_spark_venv["java"]
    cds = tmp_path / "cds"
    cds.mkdir()
    archive, old = cds / "spark-new.jsa", cds / "spark-old.jsa"
    old.write_bytes(b"of another jar")
    written = cds / "spark-new.jsa.1.tmp"

    written.write_bytes(b"cut short")
    jobs._adopt_class_archive(written, archive, whole=False, java=java)  # the run failed
    assert not written.exists() and not archive.exists() and old.exists()

    java.write_text("#!/bin/sh\nexit 134\n")  # the JVM crashes on it
    written.write_bytes(b"cut short")
    jobs._adopt_class_archive(written, archive, whole=True, java=java)
    assert not written.exists() and not archive.exists() and old.exists()

    import os

    for n in range(1, 4):  # three more of other checkouts, newer than `old`
        (cds / f"spark-other{n}.jsa").write_bytes(b"x")
        os.utime(cds / f"spark-other{n}.jsa", (n * 1000, n * 1000))
    os.utime(old, (1, 1))
    java.write_text("#!/bin/sh\nexit 0\n")
    written.write_bytes(b"whole")
    jobs._adopt_class_archive(written, archive, whole=True, java=java)
    assert archive.read_bytes() == b"whole" and not written.exists()
    assert sorted(p.name for p in cds.iterdir()) == ["spark-new.jsa", "spark-other2.jsa", "spark-other3.jsa"]


def test_the_broadcast_threshold_defaults_to_64m_and_refuses_what_spark_would_not_read(spark_common):
    assert spark_common.broadcast_threshold({}) == "64m"
    assert spark_common.broadcast_threshold({"ICEFLOE_SPARK_BROADCAST_THRESHOLD": " 10MB "}) == "10mb"
    assert spark_common.broadcast_threshold({"ICEFLOE_SPARK_BROADCAST_THRESHOLD": "-1"}) == "-1"
    for bad in ("", "lots", "64 m", "1.5g"):
        with pytest.raises(SystemExit, match="ICEFLOE_SPARK_BROADCAST_THRESHOLD must be a size"):
            spark_common.broadcast_threshold({"ICEFLOE_SPARK_BROADCAST_THRESHOLD": bad})
