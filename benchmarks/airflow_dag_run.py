"""One complete local run of the Airflow DAG (`airflow dags test`, SQLite metadata) against the running
local stack; prints the wall time and each task's state and duration, and writes
benchmarks/results/airflow_dag_run.json.

    .venv/bin/python benchmarks/airflow_dag_run.py     (the stack up: `icefloe local up`; the
                                                         ICEFLOE_ ports of that stack exported)

Every task runs one job file (17 Spark processes: 13 staging tables, entity resolution, 3 layers).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = ROOT / ".venv-airflow" / "bin" / "airflow"


def main() -> int:
    if not AIRFLOW.exists():
        sys.exit("the Airflow virtualenv is missing: run `make airflow-venv`")
    home = Path(tempfile.mkdtemp(prefix="icefloe-airflow-"))
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "airflow" / "dags"), "ICEFLOE_ENVIRONMENT": "local",
           "ICEFLOE_PROJECT_ROOT": str(ROOT)}
    t0 = time.monotonic()
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    migrate_s = time.monotonic() - t0
    t0 = time.monotonic()
    proc = subprocess.run([str(AIRFLOW), "dags", "test", "icefloe_pipeline"], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    (home / "dags_test.log").write_text(out)
    states = dict(re.findall(r"task_id=(\w+).*?(?:state|Marking task as) (\w+)", out))
    figures = {"returncode": proc.returncode, "db_migrate_s": round(migrate_s, 1), "dag_run_s": round(wall, 1),
               "log": str(home / "dags_test.log"), "task_states": states,
               "load_average": os.getloadavg()}
    print(json.dumps(figures, indent=2))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "airflow_dag_run.json").write_text(json.dumps(figures, indent=2))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
