"""The DAG, in the Airflow virtualenv (.venv-airflow): it parses, its task graph is the pipeline's,
the local tasks run the job launcher, and the AWS branch submits each job to EMR Serverless with the
right entry point, arguments, ICEFLOE_ parameters and artifacts, against moto's server standing in
for EMR Serverless and S3 (a real HTTP server speaking the AWS APIs, not a patched client).

Run: .venv-airflow/bin/python -m pytest airflow/tests   (tests/unit/test_airflow_dag.py does, in `make test`)
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "airflow" / "dags"
sys.path.insert(0, str(DAGS))
sys.path.insert(0, str(ROOT))  # icefloe.emr (artifact layout), light imports only

STAGING = [
    "shopify_orders", "shopify_customers", "shopify_products", "stripe_customers", "stripe_charges",
    "stripe_payment_intents", "stripe_refunds", "stripe_disputes", "stripe_subscriptions", "hubspot_contacts",
    "hubspot_companies", "hubspot_deals", "hubspot_engagements",
]
JOB_ENV = {"ICEFLOE_CATALOG_URI": "https://glue.eu-west-1.amazonaws.com/iceberg",
           "ICEFLOE_CATALOG_WAREHOUSE": "123456789012:s3tablescatalog/icefloe", "ICEFLOE_CATALOG_SIGV4": "true",
           "ICEFLOE_REGION": "eu-west-1"}


@pytest.fixture(scope="module")
def pipeline():
    import icefloe_pipeline

    return icefloe_pipeline


def test_dag_folder_imports_without_errors():
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    assert bag.import_errors == {}
    assert sorted(bag.dags) == ["icefloe_maintenance", "icefloe_pipeline"]


def test_raw_table_maintenance_runs_daily_apart_from_the_pipeline(pipeline):
    dag = pipeline.build_maintenance_dag("local")
    assert set(dag.task_dict) == {"maintenance_raw"}
    command = dag.task_dict["maintenance_raw"].bash_command
    assert "icefloe.jobs spark maintenance --namespace raw" in command
    assert dag.task_dict["maintenance_raw"].retries == 2


def test_task_graph_is_staging_then_entity_resolution_then_core_analytics_marts(pipeline):
    dag = pipeline.build_dag("local")
    ids = set(dag.task_dict)
    assert ids == {f"staging_{t}" for t in STAGING} | {"entity_resolution", "core", "analytics", "marts"}
    er = dag.task_dict["entity_resolution"]
    assert er.upstream_task_ids == {f"staging_{t}" for t in STAGING}
    assert all(not dag.task_dict[f"staging_{t}"].upstream_task_ids for t in STAGING)
    assert dag.task_dict["core"].upstream_task_ids == {"entity_resolution"}
    assert dag.task_dict["analytics"].upstream_task_ids == {"core"}
    assert dag.task_dict["marts"].upstream_task_ids == {"analytics"}
    assert dag.task_dict["marts"].downstream_task_ids == set()


def test_retries_twice_five_minutes_apart_every_four_hours_never_overlapping(pipeline):
    dag = pipeline.build_dag("local")
    for task in dag.tasks:
        assert task.retries == 2
        assert task.retry_delay == timedelta(minutes=5)
    assert dag.timetable.summary == "0 */4 * * *"
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_local_tasks_run_each_job_file_through_the_launcher(pipeline):
    dag = pipeline.build_dag("local")
    cmd = dag.task_dict["staging_stripe_disputes"].bash_command
    assert f"{ROOT}/.venv/bin/python -m icefloe.jobs spark staging --table stripe_disputes" in cmd
    assert dag.task_dict["entity_resolution"].bash_command.endswith("-m icefloe.jobs spark entity_resolution")
    assert dag.task_dict["marts"].bash_command.endswith("spark layers --layer marts")
    for job in ("staging", "entity_resolution", "layers"):
        assert (ROOT / "jobs" / "spark" / f"{job}.py").exists()


def test_an_unknown_environment_is_refused_with_the_setting_to_fix(pipeline):
    with pytest.raises(ValueError, match="icefloe_environment"):
        pipeline.build_dag("gcp")


def test_emr_request_has_entry_point_arguments_artifacts_and_icefloe_parameters(pipeline):
    driver = pipeline.emr_job_driver("staging", ["--table", "shopify_orders"], "s3://art/icefloe/", JOB_ENV)
    submit = driver["sparkSubmit"]
    assert submit["entryPoint"] == "s3://art/icefloe/jobs/spark/staging.py"
    assert submit["entryPointArguments"] == ["--table", "shopify_orders"]
    conf = dict(c.split("=", 1) for c in shlex.split(submit["sparkSubmitParameters"].replace("--conf ", "")))
    assert conf["spark.submit.pyFiles"] == ("s3://art/icefloe/jobs/spark/icefloe_spark.py,"
                                            "s3://art/icefloe/jobs/spark/er_core.py")
    assert conf["spark.archives"] == "s3://art/icefloe/jobs/spark/icefloe-spark-jobs.zip#icefloe"
    for key, value in {**JOB_ENV, "ICEFLOE_SQL_DIR": "./icefloe/sql"}.items():
        assert conf[f"spark.emr-serverless.driverEnv.{key}"] == value
        assert conf[f"spark.executorEnv.{key}"] == value
    er = pipeline.emr_job_driver("entity_resolution", [], "s3://art", JOB_ENV)["sparkSubmit"]
    assert er["entryPointArguments"] == ["--sources", "icefloe/conf/er_sources.yaml"]


def test_emr_request_refuses_parameters_outside_the_contract(pipeline):
    with pytest.raises(ValueError, match="ICEFLOE_"):
        pipeline.emr_job_driver("layers", [], "s3://art", {"AWS_SECRET_ACCESS_KEY": "x"})


def test_artifacts_hold_every_file_the_requests_reference(tmp_path, pipeline):
    import zipfile

    from icefloe import emr

    laid_out = emr.package(tmp_path)
    for job in ("staging", "entity_resolution", "layers"):
        assert pipeline.ENTRY_POINT.format(job=job) in laid_out
    assert set(pipeline.PY_FILES) <= set(laid_out)
    assert pipeline.ARCHIVE == emr.ARCHIVE
    names = zipfile.ZipFile(laid_out[emr.ARCHIVE]).namelist()
    assert "sql/01_staging/stg_shopify_orders.sql" in names
    assert "sql/05_marts/sales_dashboard_daily.sql" in names
    assert "sql/02_semantic/er_method.sql" in names
    assert pipeline.ER_SOURCES.removeprefix(pipeline.ARCHIVE_ALIAS + "/") in names


# ---- the AWS branch against moto's server ---------------------------------------------------------

@pytest.fixture(scope="module")
def moto_aws(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                             "AWS_ENDPOINT_URL", "AIRFLOW_CONN_AWS_DEFAULT")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"})
    # the operators' connection: no extra, so boto3 takes the endpoint from AWS_ENDPOINT_URL
    os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps({"conn_type": "aws"})
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_aws_branch_submits_every_job_to_emr_serverless_with_artifacts_in_place(moto_aws, tmp_path, pipeline,
                                                                              monkeypatch):
    import boto3
    from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator

    from icefloe import emr

    s3 = boto3.client("s3", endpoint_url=moto_aws)
    s3.create_bucket(Bucket="icefloe-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    emr.upload(s3, "s3://icefloe-artifacts/batch", tmp_path)
    client = boto3.client("emr-serverless", endpoint_url=moto_aws)
    app_id = client.create_application(name="icefloe-batch", releaseLabel="emr-7.12.0", type="SPARK")["applicationId"]
    monkeypatch.setenv("ICEFLOE_ARTIFACTS_URI", "s3://icefloe-artifacts/batch")
    monkeypatch.setenv("ICEFLOE_EMR_APPLICATION_ID", app_id)
    monkeypatch.setenv("ICEFLOE_EMR_EXECUTION_ROLE_ARN", "arn:aws:iam::123456789012:role/icefloe-batch")
    monkeypatch.setenv("ICEFLOE_JOB_ENV", json.dumps(JOB_ENV))
    monkeypatch.setenv("ICEFLOE_EMR_WAIT", "false")

    dag = pipeline.build_dag("aws")
    assert all(isinstance(t, EmrServerlessStartJobOperator) for t in dag.tasks)
    run_ids = {}
    for task in dag.topological_sort() if hasattr(dag, "topological_sort") else dag.tasks:
        run_ids[task.task_id] = task.execute(context={})
    assert set(run_ids) == set(dag.task_dict)

    runs = {}
    for task_id, run_id in run_ids.items():
        run = client.get_job_run(applicationId=app_id, jobRunId=run_id)["jobRun"]
        runs[task_id] = run
        assert run["name"] == f"icefloe-{task_id}"
        assert run["executionRole"] == "arn:aws:iam::123456789012:role/icefloe-batch"
    submit = runs["staging_hubspot_deals"]["jobDriver"]["sparkSubmit"]
    assert submit["entryPoint"] == "s3://icefloe-artifacts/batch/jobs/spark/staging.py"
    assert submit["entryPointArguments"] == ["--table", "hubspot_deals"]
    assert "spark.emr-serverless.driverEnv.ICEFLOE_CATALOG_SIGV4=true" in submit["sparkSubmitParameters"]
    assert runs["marts"]["jobDriver"]["sparkSubmit"]["entryPointArguments"] == ["--layer", "marts"]

    # every S3 object a request references exists where the job expects it
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="icefloe-artifacts", Prefix="batch/")["Contents"]}
    for run in runs.values():
        submit = run["jobDriver"]["sparkSubmit"]
        params = submit["sparkSubmitParameters"]
        uris = [submit["entryPoint"]]
        uris += params.split("spark.submit.pyFiles=")[1].split(" ")[0].split(",")
        uris.append(params.split("spark.archives=")[1].split(" ")[0].split("#")[0])
        for uri in uris:
            assert uri.removeprefix("s3://icefloe-artifacts/") in keys, uri
