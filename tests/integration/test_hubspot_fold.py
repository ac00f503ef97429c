"""The HubSpot fold (sql/01_staging/stg_hubspot_contacts.sql) against a fold written in plain Python.

HubSpot sends one property per webhook event, and CRM objects (a backfill) with all of them; staging
keeps per property its latest version (event time, then Kafka partition and offset), whatever order
events arrive in, so an incremental run re-folds the whole raw history of each id with news. Here
the TRANSFORM over generated events (out-of-order times, events without a time, NULL values,
deletions and restores, archived CRM objects) meets an independent oracle, a per-id fold in Python,
column for column. Local Spark, no stack; needs `.venv-spark` and Java (`make setup`).
"""

from __future__ import annotations

import json
import random
import subprocess
from datetime import datetime, timezone

import pytest

from icefloe import PROJECT_ROOT

pytestmark = pytest.mark.integration
SPARK_PY = PROJECT_ROOT / ".venv-spark" / "bin" / "python"
PROPS = ["email", "firstname", "lastname", "phone", "city", "lifecyclestage", "createdate", "jobtitle"]

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from pyspark.sql import SparkSession
import icefloe_spark as ic
import staging as st

spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
rows = json.load(open(sys.argv[2]))
spark.createDataFrame([tuple(r) for r in rows], "payload STRING, _webhook_id STRING, _kafka_partition INT, "
                      "_kafka_offset BIGINT").createOrReplaceTempView("all_raw")
spec, sql = st.TABLES["hubspot_contacts"], ic.LayerSql.load("01_staging", "stg_hubspot_contacts")
OUT = ("contact_id, email, first_name, phone, lifecycle_stage, is_deleted, unix_millis(created_at) AS created_at, "
       "unix_millis(updated_at) AS updated_at, event_count, _webhook_id, _kafka_partition, _kafka_offset")
spark.sql("CREATE OR REPLACE TEMP VIEW raw_batch AS SELECT * FROM all_raw")
st._typed_views(spark, spec, sql)
out = {"full": [r.asDict() for r in spark.sql(f"SELECT {OUT} FROM latest_batch").collect()]}
print("RESULT " + json.dumps(out))
"""


def _events(n: int, ids: int, seed: int) -> list[list]:
    """Raw rows [payload, webhook id, partition, offset], in arrival order: Kafka offsets grow per partition in
    arrival order (what raw receives); event times do not."""
    rnd = random.Random(seed)
    offsets = {0: 0, 1: 0}
    rows = []
    for arrival in range(n):
        oid = str(rnd.randint(1, ids))
        partition = int(oid) % 2
        at = 1_700_000_000_000 + rnd.randint(0, 10 ** 9)
        kind = rnd.random()
        if kind < 0.15:
            payload = {"id": oid, "properties": {p: f"{p}-{rnd.randint(0, 9)}" for p in rnd.sample(PROPS, 4)},
                       "updatedAt": f"2024-01-{rnd.randint(1, 28):02d}T10:00:00Z", "archived": rnd.random() < 0.2}
        elif kind < 0.25:
            payload = {"objectId": int(oid), "occurredAt": at,
                       "subscriptionType": rnd.choice(["contact.creation", "contact.deletion", "contact.restore"])}
        else:
            prop = rnd.choice(PROPS)
            payload = {"objectId": int(oid), "subscriptionType": "contact.propertyChange", "propertyName": prop,
                       "propertyValue": rnd.choice([f"{prop}-{rnd.randint(0, 9)}", None]),
                       "occurredAt": at if rnd.random() > 0.05 else None}
        rows.append([json.dumps(payload), f"wh{arrival}", partition, offsets[partition]])
        offsets[partition] += 1
    return rows


def _millis(payload: dict) -> int | None:
    if payload.get("occurredAt") is not None:
        return int(payload["occurredAt"])
    if payload.get("updatedAt"):
        return int(datetime.fromisoformat(payload["updatedAt"].replace("Z", "+00:00")).astimezone(timezone.utc)
                   .timestamp() * 1000)
    return None


def _oracle(rows: list[list]) -> dict[str, dict]:
    """Per id: each property's value at its latest version (time, partition, offset; no time is the
    oldest), the latest lifecycle event, first and last times, the rows counted, the latest row."""
    by_id: dict[str, list] = {}
    for payload_text, webhook, partition, offset in rows:
        payload = json.loads(payload_text)
        oid = str(payload.get("objectId") or payload.get("id"))
        at = _millis(payload)
        version = (at is not None, at or 0, partition, offset)
        by_id.setdefault(oid, []).append((version, payload, webhook, at))
    expected = {}
    for oid, events in by_id.items():
        props: dict[str, tuple] = {}
        lifecycle = None
        for version, payload, _, _ in events:
            changed = payload.get("properties") or (
                {payload["propertyName"]: payload.get("propertyValue")} if "propertyName" in payload else {})
            for name, value in changed.items():
                if name not in props or version > props[name][0]:
                    props[name] = (version, value)
            kind = payload.get("subscriptionType", "object")
            if kind == "object" or kind.endswith((".deletion", ".creation", ".restore")):
                deleted = kind.endswith(".deletion") or bool(payload.get("archived"))
                if lifecycle is None or version > lifecycle[0]:
                    lifecycle = (version, deleted)
        value = {name: v for name, (_, v) in props.items()}
        times = [at for _, _, _, at in events if at is not None]
        latest = max(events, key=lambda e: e[0])
        expected[oid] = {
            "contact_id": oid, "email": value.get("email"), "first_name": value.get("firstname"),
            "phone": value.get("phone"), "lifecycle_stage": value.get("lifecyclestage"),
            "is_deleted": bool(lifecycle and lifecycle[1]),
            # createdate values here are no datetimes: the first event's time stands in
            "created_at": min(times) if times else None,
            "updated_at": max(times) if times else None, "event_count": len(events),
            "_webhook_id": latest[2], "_kafka_partition": latest[0][2], "_kafka_offset": latest[0][3]}
    return expected


def test_the_fold_of_every_property_equals_a_python_fold_of_the_same_events(tmp_path):
    if not SPARK_PY.exists():
        pytest.skip("no .venv-spark: run `make venvs`")
    from icefloe.jobs import spark_command

    rows = _events(3000, 300, seed=5)
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    _, env = spark_command("staging", [])
    proc = subprocess.run([str(SPARK_PY), "-c", SCRIPT, str(PROJECT_ROOT / "jobs" / "spark"), str(tmp_path / "rows.json")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[len("RESULT "):])

    expected = _oracle(rows)
    got = {r["contact_id"]: r for r in out["full"]}
    assert set(got) == set(expected)
    for oid, want in expected.items():
        assert got[oid] == want, f"contact {oid}"
    # the generator made every kind of case the fold orders
    assert any(e["is_deleted"] for e in expected.values()) and any(e["email"] is None for e in expected.values())
    assert max(e["event_count"] for e in expected.values()) > 15
