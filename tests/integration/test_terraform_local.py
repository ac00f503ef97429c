"""The `local` workspace of terraform/ against the running local stack: `apply` creates the buckets,
topics and namespaces and uploads the job files; a second `apply` changes nothing; `destroy`
removes them. Every effect is checked with an independent client (boto3, the Kafka admin API,
pyiceberg), not with tofu's own state.

The test uses its own bucket names, topic prefix and namespaces and its own state directory, so it
never touches what the stack bootstrapped (or the stack's profile.env). It runs against the session's
test stack (the `stack` fixture, tests/integration/conftest.py).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import pytest
from icefloe.local.bootstrap import s3_client

from icefloe import PROJECT_ROOT
from icefloe.config import Profile, StackSettings, local_profile, read_env_file
from icefloe.sources import load_sources

pytestmark = pytest.mark.integration

TF = PROJECT_ROOT / "terraform" / "scripts" / "tf.sh"
LAYERS = ("raw", "staging", "semantic", "core", "analytics", "marts", "metadata")


def _job_files() -> set[str]:
    files = set()
    for top in ("jobs", "sql"):
        for p in (PROJECT_ROOT / top).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                files.add(p.relative_to(PROJECT_ROOT).as_posix())
    return files | {"sources.yaml"}


@pytest.fixture(scope="module")
def workspace(stack, tmp_path_factory):
    """Runs tf.sh local ... against the session's test stack (its ICEFLOE_*_PORT are in the
    environment), with private state, names and state_dir; destroys whatever is left."""
    base = tmp_path_factory.mktemp("tf-local")
    suffix = secrets.token_hex(3)
    names = {
        "buckets": {k: f"tftest-{suffix}-{k}" for k in ("warehouse", "artifacts", "checkpoints")},
        "topic_prefix": f"tftest-{suffix}.",
        "namespaces": [f"tftest_{suffix}_{n}" for n in LAYERS],
        "state_dir": base / "icefloe-state",
    }
    env = {**os.environ,
           "ICEFLOE_STATE_DIR": str(names["state_dir"]),
           "ICEFLOE_TF_DATA_DIR": str(base / "tf-data"),
           "ICEFLOE_TF_WORKSPACE_DIR": str(base / "tf-states"),
           "TF_VAR_buckets": json.dumps(names["buckets"]),
           "TF_VAR_topic_prefix": names["topic_prefix"],
           "TF_VAR_namespaces": json.dumps(names["namespaces"])}

    def tf(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(TF), "local", *args], env=env, capture_output=True, text=True,
                              timeout=900, check=False)
        if done.returncode != 0 and "kafka: broker not connected" in done.stdout + done.stderr:
            # The Kafka provider's client (sarama) sometimes reads its metadata over a connection it has
            # not finished opening and fails the refresh with this message (seen once in CI, with the
            # broker healthy: the plan just before had refreshed the same topics). One rerun, as a user
            # would; a second failure fails the test.
            done = subprocess.run([str(TF), "local", *args], env=env, capture_output=True, text=True,
                                  timeout=900, check=False)
        if check and done.returncode != 0:
            pytest.fail(f"tf.sh local {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n"
                        f"{done.stderr[-4000:]}")
        return done

    yield tf, names
    tf("destroy", "-auto-approve", check=False)


def _stack_profile() -> Profile:
    return Profile.load(StackSettings())


def _buckets(profile: Profile) -> set[str]:
    return {b["Name"] for b in s3_client(profile).list_buckets().get("Buckets", [])}


def _topics(profile: Profile) -> dict[str, int]:
    from confluent_kafka.admin import AdminClient

    meta = AdminClient({"bootstrap.servers": profile.kafka_bootstrap_servers}).list_topics(timeout=10)
    return {name: len(t.partitions) for name, t in meta.topics.items()}


def _namespaces(profile: Profile) -> set[str]:
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("tf-check", **profile.pyiceberg_properties())
    return {ns[0] for ns in catalog.list_namespaces()}


def test_apply_creates_buckets_topics_namespaces_and_uploads_job_files(workspace):
    tf, names = workspace
    profile = _stack_profile()
    tf("apply", "-auto-approve")

    assert set(names["buckets"].values()) <= _buckets(profile)

    expected_topics = {names["topic_prefix"] + t for t in load_sources().topics}
    expected_topics.add(names["topic_prefix"] + load_sources().dead_letter_topic)
    topics = _topics(profile)
    assert expected_topics <= set(topics)
    assert {topics[t] for t in expected_topics} == {3}

    assert set(names["namespaces"]) <= _namespaces(profile)

    s3 = s3_client(profile)
    listed = s3.list_objects_v2(Bucket=names["buckets"]["artifacts"])
    keys = {o["Key"] for o in listed.get("Contents", [])}
    assert keys == _job_files()
    body = s3.get_object(Bucket=names["buckets"]["artifacts"], Key="jobs/flink/runner.py")["Body"].read()
    assert body == (PROJECT_ROOT / "jobs/flink/runner.py").read_bytes()


def test_profile_env_is_the_runtime_contract_the_local_tools_read(workspace):
    tf, names = workspace
    stack = StackSettings(state_dir=names["state_dir"])
    written = read_env_file(stack.profile_env)
    expected = local_profile(stack) | {
        "ICEFLOE_WAREHOUSE_BUCKET": names["buckets"]["warehouse"],
        "ICEFLOE_ARTIFACTS_BUCKET": names["buckets"]["artifacts"],
        "ICEFLOE_CHECKPOINTS_BUCKET": names["buckets"]["checkpoints"],
        "ICEFLOE_CATALOG_WAREHOUSE": f"s3://{names['buckets']['warehouse']}/",
    }
    assert written == expected
    assert Profile.load(stack).artifacts_bucket == names["buckets"]["artifacts"]
    output = json.loads(tf("output", "-json", "profile").stdout)
    assert output == expected
    assert (names["state_dir"] / "trino" / "catalog" / "iceberg.properties").is_file()


def test_second_apply_changes_nothing(workspace):
    tf, _ = workspace
    plan = tf("plan", "-detailed-exitcode", check=False)
    assert plan.returncode == 0, f"plan after apply wants changes:\n{plan.stdout[-4000:]}{plan.stderr[-2000:]}"
    again = tf("apply", "-auto-approve")
    assert "0 added, 0 changed, 0 destroyed" in again.stdout or "No changes." in again.stdout


def test_destroy_removes_everything_it_created(workspace):
    tf, names = workspace
    profile = _stack_profile()
    tf("destroy", "-auto-approve")
    assert not set(names["buckets"].values()) & _buckets(profile)
    assert not {t for t in _topics(profile) if t.startswith(names["topic_prefix"])}
    assert not set(names["namespaces"]) & _namespaces(profile)
    assert not (names["state_dir"] / "trino" / "catalog" / "iceberg.properties").exists()
    assert (names["state_dir"] / "profile.env").exists(), "the profile outlives destroy (the stack still runs)"
