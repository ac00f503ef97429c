"""Append provider payloads to raw.<source>_<object> as the streaming job would: one Iceberg commit
per call, the same columns Flink writes (sql/00_raw/raw_source.sql), Kafka positions continuing
where the table left off.

The batch tests write raw directly, bypassing API -> Kafka -> Flink (covered by the thin-slice test):
it makes each streaming commit a step the test controls (for example, one that lands while a batch
job is running) and keeps the tests cheap. The commit itself is a real one, to the real catalog.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import DateType, IntegerType, LongType, NestedField, StringType, TimestamptzType

from icefloe.sources import load_sources


def _path(doc, path: str):
    cur = doc
    for part in path.removeprefix("$.").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _source(table: str):
    for s in load_sources().sources:
        if f"{s.source}_{s.object}" == table:
            return s
    raise KeyError(table)


def raw_schema(table: str) -> Schema:
    src = _source(table)
    fields = [("object_id", StringType())]
    fields += [(k, StringType()) for k in src.key_fields]
    fields += [("payload", StringType()), ("_webhook_id", StringType()), ("_webhook_topic", StringType()),
               ("_received_at", TimestamptzType()), ("_received_date", DateType()), ("_loaded_at", TimestamptzType()),
               ("_kafka_partition", IntegerType()), ("_kafka_offset", LongType())]
    return Schema(*[NestedField(i + 1, n, t, required=False) for i, (n, t) in enumerate(fields)])


def ensure_raw_table(catalog: Catalog, table: str):
    ident = f"raw.{table}"
    if catalog.table_exists(ident):
        return catalog.load_table(ident)
    schema = raw_schema(table)
    spec = PartitionSpec(PartitionField(schema.find_field("_received_date").field_id, 1000, IdentityTransform(),
                                        "_received_date"))
    return catalog.create_table(ident, schema, partition_spec=spec, properties={
        "format-version": "2", "write.parquet.compression-codec": "zstd"})


def append_raw(catalog: Catalog, table: str, payloads: list[dict], received_at: datetime | None = None,
               topics: list[str] | None = None) -> int:
    """Append the payloads (one Kafka record each, in order) in one commit; returns the snapshot id."""
    src = _source(table)
    tbl = ensure_raw_table(catalog, table)
    scan = tbl.scan(selected_fields=("_kafka_offset",)).to_arrow()
    next_offset = (max(scan.column("_kafka_offset").to_pylist()) + 1) if scan.num_rows else 0
    received_at = received_at or datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    rows = []
    for i, p in enumerate(payloads):
        body = json.dumps(p, separators=(",", ":"))
        row = {
            "object_id": None if _path(p, src.id_path) is None else str(_path(p, src.id_path)),
            **{k: None if _path(p, v) is None else str(_path(p, v)) for k, v in src.key_fields.items()},
            "payload": body,
            "_webhook_id": p.get("id") if src.source == "stripe" else (
                str(p.get("eventId")) if src.source == "hubspot" and "eventId" in p
                else hashlib.sha1(body.encode()).hexdigest()),
            "_webhook_topic": (topics[i] if topics else p.get("type") or p.get("subscriptionType")
                               or f"{src.object}/update"),
            "_received_at": received_at,
            "_received_date": received_at.date(),
            "_loaded_at": datetime.now(timezone.utc),
            # -1: rows written without Kafka. A real partition here would move the Flink job's start
            # offsets (the highest offset in Iceberg per partition) past real records.
            "_kafka_partition": -1,
            "_kafka_offset": next_offset + i,
        }
        rows.append(row)
    tbl.append(pa.Table.from_pylist(rows, schema=tbl.schema().as_arrow()))
    return tbl.refresh().current_snapshot().snapshot_id
