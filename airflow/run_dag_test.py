"""One complete run of the `icefloe_pipeline` DAG with `dag.test()` (no scheduler, tasks one after
another in this process), against whatever stack the ICEFLOE_ environment points at.

    AIRFLOW_HOME=<dir> .venv-airflow/bin/airflow db migrate
    AIRFLOW_HOME=<dir> AIRFLOW__CORE__DAGS_FOLDER=airflow/dags .venv-airflow/bin/python airflow/run_dag_test.py \
        [--no-retries] [--only REGEX]

Runs in the Airflow virtualenv (it imports nothing from the `icefloe` package). Prints one line
`ICEFLOE_RESULT {"state": ..., "seconds": ..., "tasks": {task_id: {"state": ..., "seconds": ...}}}`
and exits 0 only if the run and every task succeeded.

`--no-retries`: a failing task fails the run at once (the DAG's 2 retries with 5 minutes' delay
would only hide a flaky task in a test). `--only REGEX`: tasks whose id does not match are marked
successful without running (Airflow's mark_success_pattern), for a partial run.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

log = logging.getLogger("icefloe.airflow.dag_test")

DAG_FILE = Path(__file__).resolve().parent / "dags" / "icefloe_pipeline.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-retries", action="store_true", help="run every task once (no retries)")
    parser.add_argument("--only", help="regex of the task ids to run; the others are marked successful")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import importlib.util

    spec = importlib.util.spec_from_file_location("icefloe_pipeline", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    dag = module.dag
    if args.no_retries:
        for task in dag.tasks:
            task.retries = 0
    skip = None
    if args.only:
        wanted = re.compile(args.only)
        skip = "|".join(re.escape(t.task_id) for t in dag.tasks if not wanted.fullmatch(t.task_id)) or None
    t0 = time.monotonic()
    run = dag.test(mark_success_pattern=skip)
    seconds = time.monotonic() - t0
    tasks = {}
    for ti in run.get_task_instances():
        took = (ti.end_date - ti.start_date).total_seconds() if ti.start_date and ti.end_date else None
        tasks[ti.task_id] = {"state": str(ti.state), "seconds": None if took is None else round(took, 1),
                             "tries": ti.try_number}
    result = {"state": str(run.state), "seconds": round(seconds, 1), "tasks": tasks}
    print(f"ICEFLOE_RESULT {json.dumps(result)}", flush=True)
    ok = result["state"] == "success" and all(t["state"] == "success" for t in tasks.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
