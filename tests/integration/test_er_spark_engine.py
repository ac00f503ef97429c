"""The second engine as oracle: the Spark job's file mode and `icefloe resolve` (DuckDB) run the same
method on the same file and must produce the same entities.

Needs `.venv-spark` and Java (no stack): it is slow-ish (a Spark start), hence the marker.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from icefloe import PROJECT_ROOT
from icefloe.resolve import resolve_file

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "unit" / "resolution"))
from test_er_households_namesakes import HOME, PAY, WORK  # noqa: E402
from test_er_incremental import people, records_for  # noqa: E402

pytestmark = pytest.mark.integration
SPARK_PY = PROJECT_ROOT / ".venv-spark" / "bin" / "python"
MAP = ("id=id,source=source,first_name=first_name,last_name=last_name,email=email,phone=phone,"
       "street_number=street_number,street=street,city=city,postcode=postcode,dob=dob,national_id=national_id")


def partition(rows: list[dict]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for r in rows:
        groups.setdefault(r["entity_id"], set()).add(f"{r['source']}|{r['id']}")
    return {frozenset(g) for g in groups.values()}


def test_spark_and_duckdb_resolve_a_file_into_the_same_entities(tmp_path: Path):
    if not SPARK_PY.exists():
        pytest.skip("no .venv-spark: run `make venvs`")
    # and the generator's hard case: a work and a personal mailbox tied by a name only they carry
    # (full_name=unique), beside the same name on a third mailbox elsewhere (no longer unique)
    records = records_for(people(120)) + [WORK, HOME, PAY, dict(WORK, id="5", first_name="Marvin", last_name="Luna",
                                                                 email="marvin.luna@allen-corp.com"),
                                           dict(HOME, id="6", first_name="Marvin", last_name="Luna",
                                                email="mluna@hotmail.com", phone=None),
                                           dict(HOME, id="7", first_name="Marvin", last_name="Luna",
                                                email="marvinluna25@gmail.com", phone="+1 385 457 1157")]
    src = tmp_path / "people.csv"
    fields = ["id", "source", "first_name", "last_name", "email", "phone", "street_number", "street", "city",
              "postcode", "dob", "national_id"]
    with src.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(records)
    duck_out = tmp_path / "duck.csv"
    resolve_file(src, MAP, duck_out)
    spark_out = tmp_path / "spark.csv"
    proc = subprocess.run([str(SPARK_PY), str(PROJECT_ROOT / "jobs" / "spark" / "entity_resolution.py"),
                           "--input-file", str(src), "--map", MAP, "--output-file", str(spark_out)],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    duck = list(csv.DictReader(duck_out.open()))
    spark = list(csv.DictReader(spark_out.open()))
    assert len(duck) == len(spark) == len(records)
    assert partition(duck) == partition(spark)
    ent = {f"{r['source']}|{r['id']}": r["entity_id"] for r in duck}
    assert ent["crm|1"] == ent["shop|2"] == ent["pay|3"] and ent["crm|5"] != ent["shop|6"]
    # ids derive from the cluster label in both engines: equal too
    assert {(r["source"], r["id"], r["entity_id"]) for r in duck} == {(r["source"], r["id"], r["entity_id"])
                                                                      for r in spark}
    conf = {(r["source"], r["id"]): r["match_confidence"] for r in duck}
    for r in spark:
        a, b = conf[(r["source"], r["id"])], r["match_confidence"]
        assert (a == b == "") or abs(float(a) - float(b)) < 1e-9
