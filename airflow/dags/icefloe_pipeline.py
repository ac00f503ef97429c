"""icefloe batch pipeline: staging per raw table -> entity resolution -> core -> analytics -> marts.

One DAG file for both targets, chosen by configuration (Airflow Variable `icefloe_environment`,
else ICEFLOE_ENVIRONMENT, default `local`):

- local: each task runs the job file through the project's job launcher
  (`<root>/.venv/bin/python -m icefloe.jobs spark <job> <args>`: the PySpark equivalent of
  spark-submit, in `.venv-spark`, with the ICEFLOE_ profile of the local stack and the cached jars).
- aws: each task is an EmrServerlessStartJobOperator running the same job file from the
  artifacts bucket on EMR Serverless; the ICEFLOE_ contract is passed as Spark environment
  (`spark.emr-serverless.driverEnv.*` and `spark.executorEnv.*`).

Artifacts on S3 (under `icefloe_artifacts_uri`, e.g. s3://<artifacts bucket>; `icefloe emr upload`
puts them there; Terraform uploads the .py files under the same keys):

    jobs/spark/staging.py, entity_resolution.py, layers.py   entry points
    jobs/spark/icefloe_spark.py, er_core.py                  imported by them (spark.submit.pyFiles)
    jobs/spark/icefloe-spark-jobs.zip                        sql/** and conf/** (spark.archives, as ./icefloe)

Settings (Airflow Variables, each with an ICEFLOE_ environment fallback): icefloe_environment,
icefloe_project_root (local), icefloe_emr_application_id, icefloe_emr_execution_role_arn,
icefloe_artifacts_uri, icefloe_job_env (JSON object of ICEFLOE_ variables for the jobs),
icefloe_schedule (default every 4 hours), icefloe_emr_wait.

This file imports nothing from the `icefloe` package (MWAA does not install it).
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import datetime, timedelta

from airflow.sdk import DAG, Variable

STAGING_TABLES = [
    "shopify_orders", "shopify_customers", "shopify_products",
    "stripe_customers", "stripe_charges", "stripe_payment_intents", "stripe_refunds", "stripe_disputes",
    "stripe_subscriptions",
    "hubspot_contacts", "hubspot_companies", "hubspot_deals", "hubspot_engagements",
]
LAYERS = ["core", "analytics", "marts"]
DEFAULT_ARGS = {"owner": "icefloe", "retries": 2, "retry_delay": timedelta(minutes=5)}
DEFAULT_SCHEDULE = "0 */4 * * *"

#: S3 layout of the Spark artifacts, relative to icefloe_artifacts_uri
ENTRY_POINT = "jobs/spark/{job}.py"
PY_FILES = ("jobs/spark/icefloe_spark.py", "jobs/spark/er_core.py")
ARCHIVE = "jobs/spark/icefloe-spark-jobs.zip"
ARCHIVE_ALIAS = "icefloe"  # unpacked in the driver's and executors' working directory
ER_SOURCES = f"{ARCHIVE_ALIAS}/conf/er_sources.yaml"


def setting(name: str, default: str | None = None) -> str | None:
    """Airflow Variable `icefloe_<name>`, else env ICEFLOE_<NAME>, else the default."""
    env = os.environ.get(f"ICEFLOE_{name.upper()}", default)  # the DAG runs outside the icefloe package
    try:
        return Variable.get(f"icefloe_{name}", default=env)
    except Exception:  # no metadata database (parsing in a bare interpreter): fall back to the environment
        return env


def job_specs() -> list[tuple[str, str, list[str], list[str]]]:
    """(task_id, job file, arguments, upstream task ids) for every task, in order."""
    specs = [(f"staging_{t}", "staging", ["--table", t], []) for t in STAGING_TABLES]
    staging_ids = [s[0] for s in specs]
    specs.append(("entity_resolution", "entity_resolution", [], staging_ids))
    previous = ["entity_resolution"]
    for layer in LAYERS:
        specs.append((layer, "layers", ["--layer", layer], previous))
        previous = [layer]
    return specs


def local_command(root: str, job: str, args: list[str]) -> str:
    python = os.path.join(root, ".venv", "bin", "python")
    return f"cd {shlex.quote(root)} && {shlex.quote(python)} -m icefloe.jobs spark {job} {shlex.join(args)}".rstrip()


def _local_task(task_id: str, job: str, args: list[str]):
    from airflow.providers.standard.operators.bash import BashOperator

    root = setting("project_root", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    # env=None: the task inherits the worker's environment (the ICEFLOE_ ports of the stack)
    return BashOperator(task_id=task_id, bash_command=local_command(root, job, args))


def emr_job_driver(job: str, args: list[str], artifacts_uri: str, job_env: dict[str, str]) -> dict:
    """The EMR Serverless jobDriver for one job: the same file and arguments as locally."""
    base = artifacts_uri.rstrip("/")
    if job == "entity_resolution":
        args = [*args, "--sources", ER_SOURCES]
    conf = {
        "spark.submit.pyFiles": ",".join(f"{base}/{f}" for f in PY_FILES),
        "spark.archives": f"{base}/{ARCHIVE}#{ARCHIVE_ALIAS}",
    }
    env = {"ICEFLOE_SQL_DIR": f"./{ARCHIVE_ALIAS}/sql", **job_env}
    bad = sorted(k for k in env if not k.startswith("ICEFLOE_") or any(c in str(env[k]) for c in " \n"))
    if bad:
        raise ValueError(f"icefloe_job_env: {bad} must be ICEFLOE_ names with values without spaces "
                         "(the Terraform outputs of the aws workspace)")
    for key, value in sorted(env.items()):
        conf[f"spark.emr-serverless.driverEnv.{key}"] = value
        conf[f"spark.executorEnv.{key}"] = value
    params = " ".join(f"--conf {k}={v}" for k, v in conf.items())
    return {"sparkSubmit": {"entryPoint": f"{base}/{ENTRY_POINT.format(job=job)}",
                            "entryPointArguments": list(args), "sparkSubmitParameters": params}}


def emr_task_kwargs(task_id: str, job: str, args: list[str]) -> dict:
    """The EmrServerlessStartJobOperator arguments of one task, from the settings."""
    artifacts = (setting("artifacts_uri", "s3://icefloe-artifacts") or "").rstrip("/")
    job_env = json.loads(setting("job_env", "{}") or "{}")
    application_id = setting("emr_application_id", "") or ""
    role = setting("emr_execution_role_arn", "") or ""
    return {
        "task_id": task_id,
        "application_id": application_id,
        "execution_role_arn": role,
        "job_driver": emr_job_driver(job, args, artifacts, job_env),
        "configuration_overrides": {"monitoringConfiguration": {
            "s3MonitoringConfiguration": {"logUri": f"{artifacts}/logs/emr/"}}},
        "name": f"icefloe-{task_id}",
        "wait_for_completion": (setting("emr_wait", "true") or "true").lower() == "true",
        "waiter_delay": int(setting("emr_waiter_delay", "30") or 30),
    }


def _aws_task(task_id: str, job: str, args: list[str]):
    from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator

    return EmrServerlessStartJobOperator(**emr_task_kwargs(task_id, job, args))


def build_dag(environment: str | None = None) -> DAG:
    environment = environment or setting("environment", "local") or "local"
    if environment not in ("local", "aws"):
        raise ValueError(f"icefloe_environment must be 'local' or 'aws', not {environment!r} "
                         "(Airflow Variable icefloe_environment or ICEFLOE_ENVIRONMENT)")
    make = _local_task if environment == "local" else _aws_task
    with DAG(
        dag_id="icefloe_pipeline",
        description="staging -> entity resolution -> core -> analytics -> marts (incremental)",
        schedule=setting("schedule", DEFAULT_SCHEDULE),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,  # runs never overlap: each incremental run starts from the last one's watermarks
        default_args=DEFAULT_ARGS,
        tags=["icefloe", environment],
    ) as dag:
        tasks = {}
        for task_id, job, args, upstream in job_specs():
            tasks[task_id] = make(task_id, job, args)
            for up in upstream:
                tasks[up] >> tasks[task_id]
    return dag


MAINTENANCE_SCHEDULE = "30 3 * * *"


def build_maintenance_dag(environment: str | None = None) -> DAG:
    """Table upkeep of the raw layer (jobs/spark/maintenance.py): compaction, snapshot expiry, orphan
    files; daily, apart from the pipeline so a slow compaction never delays the marts."""
    environment = environment or setting("environment", "local") or "local"
    make = _local_task if environment == "local" else _aws_task
    with DAG(
        dag_id="icefloe_maintenance",
        description="raw.*: rewrite_data_files, expire_snapshots, remove_orphan_files (file counts before/after)",
        schedule=setting("maintenance_schedule", MAINTENANCE_SCHEDULE),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["icefloe", environment],
    ) as maintenance:
        make("maintenance_raw", "maintenance", ["--namespace", "raw"])
    return maintenance


dag = build_dag()
maintenance_dag = build_maintenance_dag()
