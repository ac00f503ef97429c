"""A complete local run of the Airflow DAG (`dag.test()`, airflow/run_dag_test.py in .venv-airflow)
against the real stack: every task, 13 staging tables -> entity resolution -> core -> analytics ->
marts, each its own Spark process launched by the DAG's BashOperator exactly as in production
locally, must succeed on its first try, and the marts must hold the rows the input implies.

Input: a small cross-source world (tests/integration/batch/world.py) appended to every raw table.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.timeout(3600)  # 17 Spark processes one after another: 1,674 s measured at load average 10-17
def test_every_task_of_the_dag_succeeds_in_a_local_run_against_the_stack(stack, tmp_path):
    from pyiceberg.catalog import load_catalog

    from icefloe import PROJECT_ROOT
    from icefloe.config import Profile
    from tests.integration.batch import world
    from tests.integration.batch.raw_writer import append_raw

    airflow_python = PROJECT_ROOT / ".venv-airflow" / "bin" / "python"
    assert airflow_python.exists(), "the Airflow virtualenv is missing: run `make airflow-venv`"
    catalog = load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())
    for table, payloads in world.base().items():
        append_raw(catalog, table, payloads)

    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "airflow" / "dags"), "ICEFLOE_ENVIRONMENT": "local",
           "ICEFLOE_PROJECT_ROOT": str(PROJECT_ROOT)}
    subprocess.run([str(airflow_python), "-m", "airflow", "db", "migrate"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True, timeout=600)
    t0 = time.monotonic()
    proc = subprocess.run([str(airflow_python), str(PROJECT_ROOT / "airflow" / "run_dag_test.py"), "--no-retries"],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=3300)
    wall = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    (tmp_path / "dag_test.log").write_text(out)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("ICEFLOE_RESULT ")]
    assert lines, f"no result (exit {proc.returncode}); log {tmp_path / 'dag_test.log'}:\n" + "\n".join(
        out.splitlines()[-60:])
    result = json.loads(lines[-1].split(" ", 1)[1])
    tasks = result["tasks"]
    failed = {t: v for t, v in tasks.items() if v["state"] != "success"}
    assert not failed and proc.returncode == 0, f"tasks not successful: {failed}; log {tmp_path / 'dag_test.log'}"
    assert len(tasks) == 17 and all(v["tries"] == 1 for v in tasks.values()), tasks
    print(f"\nDAG run: {wall:.0f}s wall (dag.test {result['seconds']}s); per task: "
          f"{ {t: v['seconds'] for t, v in tasks.items()} }; load average {os.getloadavg()}")

    marts = catalog.load_table("marts.sales_dashboard_daily").scan().to_arrow().to_pylist()
    assert any(r["date"] == world.T.date() for r in marts), "the world's orders never reached the dashboard"
    assert catalog.load_table("marts.customer_360").scan().to_arrow().num_rows > 0
