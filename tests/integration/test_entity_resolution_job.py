"""The Spark entity-resolution job on the real stack: staging person tables in Iceberg ->
semantic.entity_index, incrementally, with stable ids; an absent source is skipped."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

SOURCES = """
phone_region: US
sources:
  - source: crm_app  # folded into the record ids as "crm app"
    table: staging.er_test_people
    columns: {id: pid, first_name: fname, last_name: lname, email: mail, phone: tel, postcode: zip}
    order_by: updated
  - source: absent
    table: staging.stg_not_there_yet
    columns: {id: x, email: y}
"""


def people_table(catalog, rows):
    import pyarrow as pa

    cols = ["pid", "fname", "lname", "mail", "tel", "zip", "updated"]
    data = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
    name = "staging.er_test_people"
    if catalog.table_exists(name):
        table = catalog.load_table(name)
        table.overwrite(data)
    else:
        catalog.create_table(name, schema=data.schema).append(data)


def er_result(stack, conf, *args) -> dict:
    """Run the ER job with the sources file `conf` (and `args`); its ICEFLOE_RESULT."""
    from icefloe.jobs import result_line, run_spark

    return json.loads(result_line(run_spark("entity_resolution", ["--sources", str(conf), *args],
                                            stack.settings), "ICEFLOE_RESULT"))


def entity_index(catalog) -> dict[str, str]:
    t = catalog.load_table("semantic.entity_index").scan(selected_fields=("rid", "entity_id")).to_arrow()
    return dict(zip(t["rid"].to_pylist(), t["entity_id"].to_pylist()))


def test_the_job_resolves_staging_people_incrementally_with_stable_ids(stack, tmp_path):
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile
    from icefloe.jobs import result_line, run_spark

    profile = Profile.load(stack.settings)
    catalog = load_catalog("icefloe", **profile.pyiceberg_properties())
    conf = tmp_path / "er_sources.yaml"
    conf.write_text(SOURCES)
    rows = [
        {"pid": "1", "fname": "Anna", "lname": "Rossi", "mail": "anna.rossi@gmail.com", "tel": "415 555 2671"},
        {"pid": "2", "fname": "anna", "lname": "ROSSI", "mail": "annarossi+x@gmail.com"},
        {"pid": "3", "fname": "Bruno", "lname": "Costa", "mail": "bruno@costa.pt", "zip": "02139"},
        {"pid": "4", "fname": "B", "lname": "Costa", "tel": "+1 617 555 0100"},
    ]
    people_table(catalog, rows)
    # full: the session's semantic tables may hold other tests' records (the batch pipeline's)
    first = run_spark("entity_resolution", ["--sources", str(conf), "--mode", "full"], stack.settings)
    assert "staging.stg_not_there_yet does not exist (yet): source absent skipped" in first.output
    stats = json.loads(result_line(first, "ICEFLOE_RESULT"))
    assert stats["mode"] == "full" and stats["records"] == 4
    ent = entity_index(catalog)
    assert ent["crm app|1"] == ent["crm app|2"] and ent["crm app|3"] != ent["crm app|4"]
    anna, bruno = ent["crm app|1"], ent["crm app|3"]

    # a new record carries Bruno's email and phone: it joins Bruno and bridges his two records
    people_table(catalog, [*rows, {"pid": "5", "fname": "Bruno", "lname": "Costa", "mail": "bruno@costa.pt",
                                   "tel": "(617) 555-0100"}])
    second = json.loads(result_line(run_spark("entity_resolution", ["--sources", str(conf)],
                                                    stack.settings), "ICEFLOE_RESULT"))
    assert second["mode"] == "incremental" and second["changed_records"] == 1
    assert second["normalised_records"] == 1, "only the new record's input is new: the others are not normalised again"
    ent = entity_index(catalog)
    assert ent["crm app|1"] == ent["crm app|2"] == anna
    assert ent["crm app|3"] == ent["crm app|5"] == ent["crm app|4"]
    aliases = catalog.load_table("semantic.entity_aliases").scan().to_arrow().to_pylist()
    survivor = ent["crm app|3"]
    assert survivor == bruno or {"alias_id": bruno, "entity_id": survivor} in [
        {k: a[k] for k in ("alias_id", "entity_id")} for a in aliases]
    runs = {r["run_id"]: r["mode"] for r in
            catalog.load_table("semantic.entity_resolution_stats").scan().to_arrow().to_pylist()}
    assert (runs[stats["run_id"]], runs[second["run_id"]]) == ("full", "incremental")
    links = catalog.load_table("semantic.entity_links").scan().to_arrow().to_pylist()
    assert any("email=exact" in x["explanation"] for x in links)
    blocking = catalog.load_table("semantic.blocking_index").scan().to_arrow()
    assert set(blocking["blocking_type"].to_pylist()) >= {"email", "name", "phone"}

    # Bruno's phone written another way: new input (normalised again), the same keys (nothing re-resolved);
    # then a run with no new input normalises nothing, so the hashes of the run before were stored
    rows[3]["tel"] = "617.555.0100"
    people_table(catalog, [*rows, {"pid": "5", "fname": "Bruno", "lname": "Costa", "mail": "bruno@costa.pt",
                                   "tel": "(617) 555-0100"}])
    for normalised in (1, 0):
        run = json.loads(result_line(run_spark("entity_resolution", ["--sources", str(conf)], stack.settings),
                                     "ICEFLOE_RESULT"))
        assert (run["normalised_records"], run["changed_records"]) == (normalised, 0)
    assert entity_index(catalog) == ent


STAMPED = """
phone_region: US
sources:
  - source: stamped
    table: staging.er_test_stamped
    columns: {id: pid, first_name: fname, last_name: lname, email: mail, phone: tel}
"""


def stamped_table(catalog, rows):
    """A person table with staging's audit column `_staged_at` (what staging.py stamps on every row it
    writes), replaced whole on each call."""
    import pyarrow as pa

    cols = ["pid", "fname", "lname", "mail", "tel"]
    data = pa.table({**{c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols},
                     "_staged_at": pa.array([r["stamp"] for r in rows], pa.timestamp("us", tz="UTC"))})
    name = "staging.er_test_stamped"
    if catalog.table_exists(name):
        catalog.load_table(name).overwrite(data)
    else:
        catalog.create_table(name, schema=data.schema).append(data)


def test_an_incremental_run_reads_only_the_ids_staged_since_the_last_run(stack, tmp_path):
    """Staging stamps every row it writes (`_staged_at`): an incremental run reads the records of the
    ids stamped after what its previous run read (watermark per source table), not every record.
    The proof that it does: a row changed without a new stamp — which staging never does — is not
    read, while the newly stamped one is resolved against the index."""
    from datetime import datetime, timezone

    from pyiceberg.catalog import load_catalog
    from pyiceberg.expressions import EqualTo

    from icefloe.config import Profile

    catalog = load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())
    conf = tmp_path / "er_sources.yaml"
    conf.write_text(STAMPED)
    t0, t1 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
    rows = [
        {"pid": "1", "fname": "Clara", "lname": "Moreau", "mail": "clara.moreau@gmail.com", "stamp": t0},
        {"pid": "2", "fname": "Dmitri", "lname": "Volkov", "mail": "dvolkov@yandex.ru", "stamp": t0},
    ]
    stamped_table(catalog, rows)

    def run(*args) -> dict:
        return er_result(stack, conf, *args)

    assert run("--mode", "full")["records"] == 2
    assert run()["normalised_records"] == 0  # nothing stamped since: nothing read
    rows[1]["tel"] = "+7 912 345 6789"  # changed without a stamp: not read
    rows.append({"pid": "3", "fname": "Clara", "lname": "Moreau", "mail": "clara.moreau@gmail.com",
                 "tel": "+33 6 12 34 56 78", "stamp": t1})
    stamped_table(catalog, rows)
    third = run()
    assert (third["normalised_records"], third["changed_records"]) == (1, 1)
    ent = entity_index(catalog)
    assert ent["stamped|3"] == ent["stamped|1"]  # blocked against the index: it joins Clara
    marks = catalog.load_table("metadata.incremental_watermarks").scan().to_arrow().to_pylist()
    mine = [m for m in marks if m["source_table"] == "staging.er_test_stamped"]
    assert [m["job_name"].split("#")[0] for m in mine] == ["semantic.entity_index"]
    assert mine[0]["last_snapshot_id"] == catalog.load_table("staging.er_test_stamped").current_snapshot().snapshot_id
    # the same rows stamped anew are read again (and, their input unchanged but Dmitri's, only his is new)
    for r in rows:
        r["stamp"] = datetime(2026, 1, 3, tzinfo=timezone.utc)
    stamped_table(catalog, rows)
    fourth = run()
    assert fourth["normalised_records"] == 1 and fourth["changed_records"] == 1
    # a changed mapping is another job: everything is read once (the inputs' hashes are unchanged), and
    # the old job's watermark is forgotten (it would keep its snapshots from being expired)
    conf.write_text(STAMPED + "    where: pid IS NOT NULL\n")
    assert run()["normalised_records"] == 0
    marks = catalog.load_table("metadata.incremental_watermarks").scan().to_arrow().to_pylist()
    jobs = {m["job_name"] for m in marks if m["source_table"] == "staging.er_test_stamped"}
    assert len(jobs) == 1 and jobs != {mine[0]["job_name"]}
    catalog.drop_table("staging.er_test_stamped")
    catalog.load_table("metadata.incremental_watermarks").delete(EqualTo("source_table", "staging.er_test_stamped"))


def state_tables(catalog) -> dict:
    """The semantic state as a full run would write it, but for entity ids (a full run mints new ones):
    links, blocking keys, the index's normalised records and its partition into entities."""
    from collections import Counter

    def rows(table, cols):
        return catalog.load_table(table).scan(selected_fields=cols).to_arrow().to_pylist()

    links = Counter((r["rid_l"], r["rid_r"], r["blocked_on"], round(r["match_weight"], 9), r["explanation"])
                    for r in rows("semantic.entity_links", ("rid_l", "rid_r", "blocked_on", "match_weight",
                                                             "explanation")))
    blocking = Counter(tuple(r.values()) for r in rows("semantic.blocking_index",
                                                       ("blocking_key", "blocking_type", "source", "source_id", "rid")))
    index = rows("semantic.entity_index", ("rid", "first_name", "last_name", "email", "phone", "postcode",
                                           "record_hash", "entity_id", "match_confidence"))
    groups: dict[str, set[str]] = {}
    for r in index:
        groups.setdefault(r["entity_id"], set()).add(r["rid"])
    records = Counter((r["rid"], r["first_name"], r["last_name"], r["email"], r["phone"], r["postcode"],
                       r["record_hash"], round(r["match_confidence"] or 0, 9)) for r in index)
    return {"links": links, "blocking": blocking, "records": records,
            "entities": {frozenset(g) for g in groups.values()}}


@pytest.mark.parametrize("method_on", ["driver", "spark"])
def test_incremental_runs_leave_the_state_tables_a_full_run_writes(stack, tmp_path, monkeypatch, method_on):
    """After incremental runs that add records, change their keys, break and make links, every state
    table (links, blocking keys, index rows) holds what a full run over the same records writes
    (entity ids aside: a full run mints new ones) — whether the incremental runs resolved their
    change on the driver (DuckDB, the default for a small change) or on Spark (the full runs' engine)."""
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile

    catalog = load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())
    conf = tmp_path / "er_sources.yaml"
    conf.write_text(SOURCES)
    rows = [
        {"pid": "11", "fname": "Ines", "lname": "Duarte", "mail": "ines.duarte@gmail.com", "tel": "415 555 0111"},
        {"pid": "12", "fname": "Ines", "lname": "Duarte", "mail": "inesduarte@gmail.com", "tel": "415-555-0111"},
        {"pid": "13", "fname": "Tomas", "lname": "Berg", "mail": "tomas.berg@proton.me", "zip": "10115"},
        {"pid": "14", "fname": "Tom", "lname": "Berg", "mail": "tomas.berg@proton.me", "tel": "+1 212 555 0144"},
        {"pid": "15", "fname": "Yuki", "lname": "Sato", "mail": "yuki.sato@example.jp"},
    ]

    monkeypatch.setenv("ICEFLOE_ER_DRIVER_MAX_RECORDS", "50000" if method_on == "driver" else "0")

    def run(*args) -> dict:
        stats = er_result(stack, conf, *args)
        assert stats["method_on"] == ("spark" if args else method_on), stats
        return stats

    people_table(catalog, rows)
    assert run("--mode", "full")["records"] == 5
    # Ines' second record moves away (new email and phone: its keys and its link change), Tomas' second
    # loses the shared email, a new record joins Yuki; then a record of Tomas gains a postcode back
    rows[1].update(mail="i.duarte@work.example", tel="+1 305 555 0199")
    rows[3].update(mail="tom@berg.example")
    rows.append({"pid": "16", "fname": "Yuki", "lname": "Sato", "mail": "yuki.sato@example.jp", "tel": "03 5555 0166"})
    people_table(catalog, rows)
    assert run()["changed_records"] == 3
    rows[3].update(zip="10115", mail="tomas.berg@proton.me")
    people_table(catalog, rows)
    assert run()["changed_records"] == 1
    incremental = state_tables(catalog)
    assert incremental["links"] and incremental["blocking"]

    assert run("--mode", "full")["records"] == 6
    full = state_tables(catalog)
    for table in ("links", "blocking", "records", "entities"):
        assert incremental[table] == full[table], table
