"""The Airflow DAG's own tests (airflow/tests), run in the Airflow virtualenv: Airflow pins half of
PyPI, so it cannot share the main environment. A failure there fails here, with its output."""

from __future__ import annotations

import os
import subprocess

from icefloe import PROJECT_ROOT

AIRFLOW_PYTHON = PROJECT_ROOT / ".venv-airflow" / "bin" / "python"


def test_dag_parses_and_its_tests_pass_in_the_airflow_virtualenv(tmp_path):
    assert AIRFLOW_PYTHON.exists(), "the Airflow virtualenv is missing: run `make airflow-venv` (part of `make venvs`)"
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env = {k: v for k, v in env.items() if not k.startswith("ICEFLOE_")}  # the DAG's settings come from the tests
    proc = subprocess.run(
        [str(AIRFLOW_PYTHON), "-m", "pytest", "-c", "airflow/tests/pytest.ini", "airflow/tests", "-q",
         "-p", "no:logging"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, tail
