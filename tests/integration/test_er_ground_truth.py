"""Entity resolution of the real staging tables, scored against the generator's ground truth.

Generated Shopify, Stripe and HubSpot deliveries (duplicates, out-of-order and late ones included)
are appended to the five raw person tables as the Flink job writes them; jobs/spark/staging.py builds
the staging tables; jobs/spark/entity_resolution.py resolves them into semantic.entity_index twice:
a full run over half of each source's records (the shipped er_sources.yaml plus a filter on a hash of
the id), then an incremental run with the shipped file unchanged, which must block the other half
against the index and keep the first run's entity ids. The oracles are icefloe.datagen's truth (which
person is behind every record) and a second engine: DuckDB (`icefloe resolve`'s) resolving the same
staging rows at once must give the clustering of the incremental history (a rebuild equals it).

Three Spark runs on a few hundred people (about 4 minutes on an idle 2-core machine); the figures at
larger scale come from benchmarks/er_datagen.py.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

SCALE, SEED = 0.06, 11
#: the issue's goal: precision >= 0.995, recall >= 0.98. Measured offline on this seed and scale
#: (`benchmarks/er_datagen.py --offline --seed 11 --scale 0.06`, 2026-12-05 evening): precision 1.0,
#: recall 1.0 (194 true pairs; the 4 the ground truth calls unlinkable are linked by a full name only
#: their two mailboxes carry), linkable recall 1.0; the Spark path at 0.1/7 (`--reset --incremental`):
#: precision 1.0, recall 0.9951. A drop below the goal is a regression.
MIN_PRECISION, MIN_RECALL, MIN_RECALL_LINKABLE = 0.995, 0.98, 0.995


def _run(job: str, args: list[str], settings) -> list[dict]:
    from icefloe.jobs import run_spark

    run = run_spark(job, args, settings)
    assert run.returncode == 0, f"{job} failed; log {run.log_file}:\n{run.output[-3000:]}"
    return [json.loads(ln.split(" ", 1)[1]) for ln in run.output.splitlines()
            if ln.startswith("ICEFLOE_RESULT ")]


def _index(catalog) -> dict[str, str]:
    t = catalog.load_table("semantic.entity_index").scan(selected_fields=("rid", "entity_id")).to_arrow()
    return dict(zip(t["rid"].to_pylist(), t["entity_id"].to_pylist()))


def _groups(assignment: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for rid, e in assignment.items():
        out.setdefault(e, set()).add(rid)
    return {frozenset(g) for g in out.values()}


@pytest.fixture()
def person_tables(stack):
    """The catalog; the person raw/staging tables this test creates are dropped afterwards (with
    their watermarks), so later tests of the session see the stack as before."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.expressions import In

    from icefloe.config import Profile
    from icefloe.er_truth import PERSON_TABLES

    catalog = load_catalog("icefloe", **Profile.load(stack.settings).pyiceberg_properties())
    mine = [f"raw.{t}" for t in PERSON_TABLES] + [f"staging.stg_{t}" for t in PERSON_TABLES]
    existed = {name for name in mine if catalog.table_exists(name)}
    yield catalog
    created = [name for name in mine if name not in existed and catalog.table_exists(name)]
    for name in created:
        catalog.purge_table(name)
    jobs = [name for name in created if name.startswith("staging.")]
    if jobs and catalog.table_exists("metadata.incremental_watermarks"):
        catalog.load_table("metadata.incremental_watermarks").delete(In("job_name", jobs))


@pytest.mark.timeout(1800)  # three Spark runs; a loaded machine makes each several times slower
def test_staging_people_resolve_accurately_explainably_and_incrementally_with_stable_ids(
        stack, person_tables, tmp_path):
    import yaml
    from tests.integration.batch.raw_writer import append_raw

    from icefloe import PROJECT_ROOT
    from icefloe.er_truth import PERSON_TABLES, generate, linkable_groups, person_records, score, staging_records
    from icefloe.resolve import LocalResolver, er_core

    catalog, settings = person_tables, stack.settings
    run = generate(scale=SCALE, seed=SEED)
    truth = run.record_truth()
    for table, rows in run.payloads.items():
        append_raw(catalog, table, rows)
    _run("staging", [a for t in PERSON_TABLES for a in ("--table", t)], settings)
    # the offline mirror of staging (benchmarks/er_datagen.py --offline) sees exactly the staged records
    core = er_core()
    staged = {r["rid"]: r for r in map(core.normalise_record, staging_records(catalog)) if r}
    mirror = {r["rid"]: r for r in map(core.normalise_record, person_records(run)) if r}
    assert staged.keys() == mirror.keys()
    assert [rid for rid in staged if staged[rid] != mirror[rid]] == []

    # the first run sees half of every source's records
    doc = yaml.safe_load((PROJECT_ROOT / "jobs" / "spark" / "conf" / "er_sources.yaml").read_text())
    for src in doc["sources"]:
        half = f"pmod(hash(`{src['columns']['id']}`), 2) = 0"
        src["where"] = f"({src['where']}) AND {half}" if src.get("where") else half
    first_half = tmp_path / "er_sources_half.yaml"
    first_half.write_text(yaml.safe_dump(doc))
    # (full: the session's semantic tables may hold another test's records)
    stats = [_run("entity_resolution", ["--mode", "full", "--sources", str(first_half)], settings)[0]]
    first = _index(catalog)
    stats.append(_run("entity_resolution", ["--mode", "incremental"], settings)[0])
    final = _index(catalog)

    # incremental: only new and changed records were re-decided
    assert stats[0]["mode"] == "full" and stats[1]["mode"] == "incremental"
    assert 0 < stats[1]["changed_records"] < stats[1]["records"] == len(final)
    assert first.keys() < final.keys() and stats[1]["changed_records"] == len(final) - len(first)

    # accurate: every staged person record is scored against the truth
    groups, _ = linkable_groups(staging_records(catalog), truth)
    s = score(final, truth, groups)
    print(f"\nER vs ground truth (scale {SCALE}, seed {SEED}): {s.as_dict()}")
    assert s.unscored == 0 and s.records == len(final)
    assert s.precision >= MIN_PRECISION, s
    assert s.recall >= MIN_RECALL, s
    assert s.recall_linkable >= MIN_RECALL_LINKABLE, s
    assert s.largest_entity <= 25  # anti-chaining cap (Params.max_cluster_size)

    # stable ids: a record of the first run keeps its entity id, or its id became an alias of the
    # entity that absorbed it, or (a split) its old id lives on with the larger part
    aliases = {r["alias_id"]: r["entity_id"]
               for r in catalog.load_table("semantic.entity_aliases").scan().to_arrow().to_pylist()}
    live = set(final.values())
    kept = sum(1 for rid, e in first.items() if final[rid] == e)
    for rid, e in first.items():
        assert final[rid] == e or aliases.get(e) == final[rid] or e in live, (rid, e, final[rid])
    assert kept >= 0.9 * len(first)

    # explainable: every link says which comparisons made it and how much each weighed
    links = catalog.load_table("semantic.entity_links").scan().to_arrow().to_pylist()
    assert links and all(x["explanation"] and 0.5 <= x["match_probability"] <= 1.0 for x in links)
    by_pair = {(x["rid_l"], x["rid_r"]): x for x in links}
    cross = [x for (a, b), x in by_pair.items() if a.split("|")[0] != b.split("|")[0]]
    assert cross, "no link across sources"
    assert any("email=exact(+" in x["explanation"] for x in cross)
    assert any("email=" not in x["explanation"].replace("email=different", "") and "last_name=exact(+"
               in x["explanation"] for x in links), "no link made without a shared email"

    # a rebuild equals the incremental history: DuckDB resolves the same staging rows in one go
    local = LocalResolver()
    local.add(staging_records(catalog))
    assert _groups(local.entities()) == _groups(final)
