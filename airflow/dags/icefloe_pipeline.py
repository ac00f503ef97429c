"""icefloe batch pipeline: staging per raw table -> entity resolution -> core -> analytics -> marts.

One DAG file for both targets, chosen by configuration (Airflow Variable `icefloe_environment`,
else ICEFLOE_ENVIRONMENT, default `local`):

- local: each task runs the job file with spark-submit semantics through the project's job launcher
  (`python -m icefloe.jobs spark <job> <args>` in the main virtualenv, which supplies the ICEFLOE_
  profile, the jars and the Spark virtualenv).
- aws: each task is an EmrServerlessStartJobRunOperator running the same job file from the
  artifacts bucket on EMR Serverless, with the ICEFLOE_ contract passed as Spark environment
  (`spark.emr-serverless.driverEnv.*` and `spark.executorEnv.*`).

Settings (Airflow Variables, each with an ICEFLOE_ environment fallback): icefloe_environment,
icefloe_project_root (local), icefloe_emr_application_id, icefloe_emr_execution_role_arn,
icefloe_artifacts_uri (s3://bucket/prefix holding jobs/spark/*.py, sql/ as sql.zip), icefloe_job_env
(JSON object of ICEFLOE_ variables for the jobs), icefloe_schedule.
"""

from __future__ import annotations

import json
import os
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


def setting(name: str, default: str | None = None) -> str | None:
    """Airflow Variable `icefloe_<name>`, else env ICEFLOE_<NAME>, else the default."""
    env = os.environ.get(f"ICEFLOE_{name.upper()}", default)  # noqa: the DAG runs outside the icefloe package
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


def _local_task(task_id: str, job: str, args: list[str]):
    from airflow.providers.standard.operators.bash import BashOperator

    root = setting("project_root", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    python = os.path.join(root, ".venv", "bin", "python")
    script = os.path.join(root, "jobs", "spark", f"{job}.py")
    cmd = f"cd {root} && {python} -m icefloe.jobs spark {job} {' '.join(args)}"
    if job == "entity_resolution":
        # built by the entity-resolution work; until its job file exists, core matches on exact email
        cmd = (f"if [ -f {script} ]; then {cmd}; else echo 'no {script}: core falls back to exact email "
               f"matching'; fi")
    return BashOperator(task_id=task_id, bash_command=cmd)


def emr_job_driver(job: str, args: list[str], artifacts_uri: str, job_env: dict[str, str]) -> dict:
    """The EMR Serverless jobDriver for one job: the same file and arguments as locally."""
    conf = ["--conf spark.submit.pyFiles=" + f"{artifacts_uri}/jobs/spark/icefloe_spark.py",
            "--conf spark.archives=" + f"{artifacts_uri}/sql.zip#sql"]
    env = {"ICEFLOE_SQL_DIR": "./sql", **job_env}
    for key, value in sorted(env.items()):
        conf.append(f"--conf spark.emr-serverless.driverEnv.{key}={value}")
        conf.append(f"--conf spark.executorEnv.{key}={value}")
    return {"sparkSubmit": {"entryPoint": f"{artifacts_uri}/jobs/spark/{job}.py", "entryPointArguments": args,
                            "sparkSubmitParameters": " ".join(conf)}}


def _aws_task(task_id: str, job: str, args: list[str]):
    from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobRunOperator

    artifacts = (setting("artifacts_uri", "s3://icefloe-artifacts/icefloe") or "").rstrip("/")
    job_env = json.loads(setting("job_env", "{}") or "{}")
    return EmrServerlessStartJobRunOperator(
        task_id=task_id,
        application_id=setting("emr_application_id", "") or "",
        execution_role_arn=setting("emr_execution_role_arn", "") or "",
        job_driver=emr_job_driver(job, args, artifacts, job_env),
        configuration_overrides={"monitoringConfiguration": {
            "s3MonitoringConfiguration": {"logUri": f"{artifacts}/logs/"}}},
        name=f"icefloe-{task_id}",
        wait_for_completion=setting("emr_wait", "true") == "true",
    )


def build_dag(environment: str | None = None) -> DAG:
    environment = environment or setting("environment", "local") or "local"
    if environment not in ("local", "aws"):
        raise ValueError(f"icefloe_environment must be 'local' or 'aws', not {environment!r} "
                         "(Airflow Variable icefloe_environment or ICEFLOE_ENVIRONMENT)")
    make = _local_task if environment == "local" else _aws_task
    with DAG(
        dag_id="icefloe_pipeline",
        description="staging -> entity resolution -> core -> analytics -> marts (incremental)",
        schedule=setting("schedule", "0 */4 * * *"),
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


dag = build_dag()
