"""`icefloe replay` against the real stack: rows of an Iceberg raw table (REST catalog, S3) are
re-published into Kafka byte for byte, with their key and delivery headers, and the filters select.

The table and topic are the test's own (`raw.itreplay_<n>`, `itreplay.<n>`), so no streaming job or
other test sees the replayed records."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from icefloe.ingestion.replay import KafkaSink, replay
from icefloe.sources import Source
from kafka_support import consume

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 30, 15, 123000, tzinfo=timezone.utc)
ROWS = [  # object_id, payload (as Flink stores it: the body as a string), delivery id, provider topic, received at
    ("820982911946154508", '{"id":820982911946154508,"note":"caf\u00e9 \U0001f9ca","total_price":"10.00"}',
     "wh-1", "orders/create", T0),
    ("820982911946154508", '{"id":820982911946154508,"total_price":"12.00"}', "wh-2", "orders/updated",
     T0 + timedelta(seconds=1, milliseconds=7)),
    (None, '{"no_id":true}', "wh-3", "orders/create", T0 + timedelta(hours=2)),
]


@pytest.fixture
def raw_source(kafka):
    """A source of the test's own with its raw table filled and its (empty) topic."""
    from confluent_kafka.admin import AdminClient, NewTopic
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile

    stack, bootstrap = kafka
    source = Source("itreplay", f"orders_{uuid.uuid4().hex[:8]}", ("orders/create",), "$.id", "$.updated_at")
    catalog = load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())
    data = pa.table({
        "object_id": pa.array([r[0] for r in ROWS], pa.string()),
        "payload": pa.array([r[1] for r in ROWS], pa.string()),
        "_webhook_id": pa.array([r[2] for r in ROWS], pa.string()),
        "_webhook_topic": pa.array([r[3] for r in ROWS], pa.string()),
        "_received_at": pa.array([r[4] for r in ROWS], pa.timestamp("us", tz="UTC")),
        "_kafka_offset": pa.array(range(len(ROWS)), pa.int64()),
    })
    catalog.create_namespace_if_not_exists("raw")
    catalog.create_table(source.raw_table, schema=data.schema).append(data)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(source.topic, num_partitions=1, replication_factor=1)])[source.topic].result()
    try:
        yield catalog, source, bootstrap
    finally:
        catalog.drop_table(source.raw_table)
        admin.delete_topics([source.topic])[source.topic].result()


def test_replay_republishes_raw_rows_into_kafka_with_exact_bytes_key_and_headers(raw_source):
    catalog, source, bootstrap = raw_source
    sink = KafkaSink(bootstrap)
    report = replay(catalog, [source], sink)
    assert sink.close() == 0 and sink.acked == len(ROWS)
    assert report.selected == {source.name: len(ROWS)}

    msgs = consume(bootstrap, source.topic)
    assert [(m.key(), m.value()) for m in msgs] == [
        (None if oid is None else oid.encode(), payload.encode("utf-8")) for oid, payload, *_ in ROWS]
    for m, (_, _, delivery_id, topic, received_at) in zip(msgs, ROWS, strict=True):
        h = dict(m.headers())
        assert (h["delivery_id"], h["provider_topic"], h["provider"]) == (delivery_id.encode(), topic.encode(),
                                                                         b"itreplay")
        assert int(h["received_at"]) == int((received_at - datetime(1970, 1, 1, tzinfo=timezone.utc))
                                            / timedelta(milliseconds=1))
        assert int(h["replayed_at"]) > int(h["received_at"])


def test_replay_filters_select_by_time_and_delivery_id_and_dry_run_publishes_nothing(raw_source):
    catalog, source, bootstrap = raw_source
    assert replay(catalog, [source], None, since=T0 + timedelta(seconds=1)).selected == {source.name: 2}
    assert replay(catalog, [source], None, until=T0 + timedelta(seconds=1)).selected == {source.name: 1}
    assert replay(catalog, [source], None, delivery_ids=["wh-2", "wh-9"]).selected == {source.name: 1}
    assert consume(bootstrap, source.topic, timeout=3) == []
