"""Kafka storage formatting with a cluster id that starts with "-" (1 in 64 random base64url ids):
the storage tool must not take it for an option (it did, and `icefloe local up` failed at random)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_kafka_storage_formats_with_a_cluster_id_starting_with_a_dash(tmp_path):
    from icefloe.config import StackSettings
    from icefloe.local.stack import Stack

    kafka = Stack(StackSettings(state_dir=tmp_path)).get("kafka")
    kafka.data_dir.mkdir(parents=True, exist_ok=True)
    (kafka.data_dir / "cluster.id").write_text("-AbCdEfGhIjKlMnOpQrStU\n")
    kafka.fetch()
    kafka.prepare()  # runs kafka-storage format
    meta = (kafka.data_dir / "logs" / "meta.properties").read_text()
    assert "cluster.id=-AbCdEfGhIjKlMnOpQrStU" in meta
