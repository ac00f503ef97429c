"""Every payload field the generator sends is known to staging: read by its TRANSFORM or listed under
IGNORED. Otherwise each run warns about it (`report_unexpected_fields`), and a user learns to skip
the warning that should catch a provider's real schema change."""

import itertools

import orjson

from icefloe.bulk import ingestion_events
from icefloe.datagen.scenarios import Generator
from icefloe.ingestion.records import kafka_record
from icefloe.sources import load_sources


def _fields(payload: dict, root: str, strategy: str) -> set[str]:
    """The payload's field names where `report_unexpected_fields` looks for them."""
    node = payload
    for part in root.removeprefix("$").strip(".").split(".") if root != "$" else []:
        node = node.get(part) if isinstance(node, dict) else None
    found = set(node) if isinstance(node, dict) else set()
    if strategy == "fold" and payload.get("propertyName"):
        found.add(payload["propertyName"])
    return {f for f in found if not f.startswith("hs_")}


def test_staging_knows_every_field_the_generator_sends(staging):
    catalog, seen, unknown = load_sources(), set(), {}
    sql = {t: staging.LayerSql.load("01_staging", f"stg_{t}") for t in staging.TABLES}
    for scenario in ("normal_day", "fraud_attack"):
        for ev in itertools.islice(Generator(scenario, 0.02, 11).events(), 4000):
            for item in ingestion_events(ev):
                rec = kafka_record(catalog, item, b"0")
                table = rec.topic.replace(".", "_")
                if table not in staging.TABLES:
                    continue  # dead letters
                seen.add(table)
                spec = staging.TABLES[table]
                missing = _fields(orjson.loads(rec.value), spec.fields_root, spec.strategy) - staging.known_fields(sql[table])
                if missing:
                    unknown.setdefault(table, set()).update(missing)
    assert len(seen) >= 12, seen  # the check saw (nearly) every table
    assert unknown == {}, f"declare these in sql/01_staging (a column, or the IGNORED list): {unknown}"
