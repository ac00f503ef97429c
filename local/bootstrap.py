"""Create what the pipeline expects to exist on a fresh local stack: buckets, Kafka topics (from
`sources.yaml`) and catalog namespaces. Idempotent. (The Terraform `local` workspace manages the
same objects; this keeps `icefloe local up` self-sufficient.)"""

from __future__ import annotations

import logging
from collections.abc import Callable

from icefloe.config import Profile, StackSettings
from icefloe.sources import load_sources

log = logging.getLogger(__name__)

NAMESPACES = ("raw", "staging", "semantic", "core", "analytics", "marts", "metadata")
TOPIC_PARTITIONS = 3


def s3_client(profile: Profile):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=profile.s3_endpoint,
        region_name=profile.region,
        aws_access_key_id=profile.s3_access_key_id,
        aws_secret_access_key=profile.s3_secret_access_key.get_secret_value() if profile.s3_secret_access_key else None,
        config=Config(s3={"addressing_style": "path" if profile.s3_path_style else "auto"},
                      retries={"max_attempts": 3}),
    )


def create_buckets(profile: Profile) -> list[str]:
    s3 = s3_client(profile)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = []
    for bucket in (profile.warehouse_bucket, profile.artifacts_bucket, profile.checkpoints_bucket):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            created.append(bucket)
    return created


def create_topics(profile: Profile) -> list[str]:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": profile.kafka_bootstrap_servers})
    existing = set(admin.list_topics(timeout=10).topics)
    catalog = load_sources()
    wanted = [*catalog.topics, catalog.dead_letter_topic]
    new = [NewTopic(t, num_partitions=TOPIC_PARTITIONS, replication_factor=1,
                    config={"min.insync.replicas": "1", "retention.ms": str(7 * 24 * 3600 * 1000)})
           for t in wanted if t not in existing]
    if new:
        for topic, fut in admin.create_topics(new, request_timeout=15).items():
            fut.result()
    return [t.topic for t in new]


def create_namespaces(profile: Profile) -> list[str]:
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    existing = {ns[0] for ns in catalog.list_namespaces()}
    created = []
    for ns in NAMESPACES:
        if ns not in existing:
            catalog.create_namespace(ns)
            created.append(ns)
    return created


def bootstrap(stack: StackSettings, progress: Callable[[str, str], None]) -> None:
    profile = Profile.load(stack)
    made = create_buckets(profile)
    progress("s3", f"buckets ready ({', '.join(made) + ' created' if made else 'all present'})")
    made = create_topics(profile)
    progress("kafka", f"{len(load_sources().topics) + 1} topics ready ({len(made)} created)")
    made = create_namespaces(profile)
    progress("catalog", f"namespaces ready ({', '.join(made) + ' created' if made else 'all present'})")
