"""Entity resolution of the pipeline's own staging tables, scored against the generator's ground truth.

    .venv/bin/icefloe local up postgres s3 catalog          # a stack of your own (see --reset)
    .venv/bin/python benchmarks/er_datagen.py --reset [--scale 0.5] [--seed 7] [--no-crm-backfill]

The path is the pipeline's: `icefloe.datagen` generates a run (Shopify, Stripe and HubSpot webhooks
with their faults: duplicates, out-of-order and late deliveries); the person deliveries are appended
to raw.shopify_customers, raw.shopify_orders, raw.stripe_customers, raw.stripe_charges and
raw.hubspot_contacts as the Flink job writes them (tests/integration/batch/raw_writer.py: one Iceberg
commit per table); `jobs/spark/staging.py` builds the staging tables; `jobs/spark/entity_resolution.py`
resolves them (jobs/spark/conf/er_sources.yaml) into semantic.entity_index; the assignment is scored
against the generator's truth (icefloe/er_truth.py): pairwise precision, recall and F1, and cluster
figures. With --incremental the deliveries arrive in two halves, each followed by staging and an
incremental ER run; the final clustering is compared with a full rebuild and ids are checked stable.

HubSpot contact webhooks carry one property each, only for the properties the app subscribes to
(`icefloe.datagen.hubspot.CONTACT_WEBHOOK_PROPERTIES`: email, names, phone, street address, city,
state, zip, country, lifecycle stage); by default the CRM objects, with every property, are appended
too (a backfill through the CRM API, which stg_hubspot_contacts folds in); --no-crm-backfill
measures the webhooks alone.

--reset drops the five raw tables, their staging tables and the semantic tables first: use it only
on a stack of your own. Figures are printed and written to benchmarks/results/er_datagen.json.

--offline needs no stack: `icefloe.er_truth.person_records` computes in Python what staging and
jobs/spark/conf/er_sources.yaml make of the payloads (the integration test checks it equals the
staging tables' records), and DuckDB (`icefloe resolve`'s engine, the same method) resolves them, for
every seed and scale given:

    .venv/bin/python benchmarks/er_datagen.py --offline --seed 7,11,3 --scale 0.1,0.3,1

Besides pairwise precision and recall, recall is given over the linkable pairs
(`icefloe.er_truth.linkable_groups`): true pairs joined by evidence a namesake or relative cannot
share (a personal mailbox or phone, a name at one street address). The pairs left out share a
name only, a town only, a household mailbox or nothing: a method can tell few of them from the
generator's namesakes and relatives (icefloe links a full name only two mailboxes carry when nothing
else conflicts); their count is printed by what they share.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "er_datagen.json"
SEMANTIC = ("entity_index", "blocking_index", "entity_links", "entity_aliases", "entity_resolution_stats")


def catalog_and_settings():
    from pyiceberg.catalog import load_catalog

    from icefloe.config import Profile, StackSettings

    settings = StackSettings()
    profile = Profile.load(settings)
    return load_catalog("icefloe", **profile.pyiceberg_properties()), settings


def reset(catalog) -> None:
    from icefloe.er_truth import PERSON_TABLES

    names = [f"raw.{t}" for t in PERSON_TABLES] + [f"staging.stg_{t}" for t in PERSON_TABLES]
    names += [f"semantic.{t}" for t in SEMANTIC] + ["metadata.incremental_watermarks", "metadata.er_input_hashes"]
    for name in names:
        if catalog.table_exists(name):
            catalog.purge_table(name)


def load_raw(catalog, payloads: dict[str, list[dict]]) -> None:
    from tests.integration.batch.raw_writer import append_raw

    for table, rows in payloads.items():
        if rows:
            append_raw(catalog, table, rows)


def run_job(job: str, args: list[str], settings) -> dict | list[dict]:
    from icefloe.jobs import run_spark

    run = run_spark(job, args, settings)
    if run.returncode != 0:
        raise SystemExit(f"{job} failed (exit {run.returncode}); log: {run.log_file}\n{run.output[-3000:]}")
    results = [json.loads(ln[len("ICEFLOE_RESULT "):]) for ln in run.output.splitlines()
               if ln.startswith("ICEFLOE_RESULT ")]
    return results if len(results) != 1 else results[0]


def staging(settings) -> float:
    from icefloe.er_truth import PERSON_TABLES

    t0 = time.monotonic()
    args = [a for t in PERSON_TABLES for a in ("--table", t)]
    run_job("staging", args, settings)
    return round(time.monotonic() - t0, 1)


def entity_index(catalog) -> dict[str, str]:
    t = catalog.load_table("semantic.entity_index").scan(selected_fields=("rid", "entity_id")).to_arrow()
    return dict(zip(t["rid"].to_pylist(), t["entity_id"].to_pylist()))


def aliases(catalog) -> dict[str, str]:
    t = catalog.load_table("semantic.entity_aliases").scan().to_arrow()
    return dict(zip(t["alias_id"].to_pylist(), t["entity_id"].to_pylist()))


def same_partition(a: dict[str, str], b: dict[str, str]) -> bool:
    """Two assignments group the same records together (ids may differ)."""
    def groups(x: dict[str, str]) -> set[frozenset[str]]:
        out: dict[str, set[str]] = {}
        for rid, e in x.items():
            out.setdefault(e, set()).add(rid)
        return {frozenset(g) for g in out.values()}

    return a.keys() == b.keys() and groups(a) == groups(b)


def offline(scales: list[float], seeds: list[int], scenario: str, crm_backfill: bool) -> dict:
    """Generate, map as staging does, resolve with DuckDB, score: no stack."""
    from icefloe.er_truth import generate, linkable_groups, person_records, score
    from icefloe.resolve import LocalResolver

    runs = []
    for scale in scales:
        for seed in seeds:
            t0 = time.monotonic()
            gen = generate(scale, seed, scenario, crm_backfill=crm_backfill)
            truth = gen.record_truth()
            records = person_records(gen)
            t1 = time.monotonic()
            resolver = LocalResolver()
            result = resolver.add(records)
            er_s = time.monotonic() - t1
            groups, unlinkable = linkable_groups(records, truth)
            s = score(resolver.entities(), truth, groups)
            runs.append({"scale": scale, "seed": seed, "people": gen.people, "records": len(records),
                         "candidate_pairs": result.candidate_pairs, "generate_s": round(t1 - t0, 1),
                         "er_s": round(er_s, 1), "score": s.as_dict(),
                         "unlinkable_true_pairs_share": dict(unlinkable.most_common())})
            print(f"scale {scale:<5} seed {seed:<4} {len(records):>6} records  precision {s.precision:.4f}  "
                  f"recall {s.recall:.4f}  F1 {s.f1:.4f}  recall (linkable) {s.recall_linkable:.4f}  "
                  f"[{s.true_pairs - s.linkable_pairs} of {s.true_pairs} true pairs unlinkable]  "
                  f"ER {er_s:.1f}s", flush=True)
    return {"mode": "offline", "scenario": scenario, "crm_backfill": crm_backfill, "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="0.5", help="datagen scale (1 = about 5,000 people); "
                        "--offline takes a comma-separated list")
    parser.add_argument("--seed", default="7", help="--offline takes a comma-separated list")
    parser.add_argument("--offline", action="store_true",
                        help="no stack: staging's mapping in Python, DuckDB resolves (several seeds/scales)")
    parser.add_argument("--scenario", default="normal_day")
    parser.add_argument("--no-crm-backfill", action="store_true", help="HubSpot webhooks only")
    parser.add_argument("--incremental", action="store_true",
                        help="two halves, incremental runs, then a rebuild")
    parser.add_argument("--reset", action="store_true",
                        help="drop the person raw/staging and semantic tables first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from icefloe.er_truth import errors, generate, linkable_groups, score, split_deliveries, staging_records

    if args.offline:
        out = offline([float(x) for x in args.scale.split(",")], [int(x) for x in args.seed.split(",")],
                      args.scenario, not args.no_crm_backfill)
        out["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "loadavg": [round(x, 2) for x in os.getloadavg()]}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.with_name("er_datagen_offline.json").write_text(json.dumps(out, indent=2))
        print(f"load average {out['machine']['loadavg']} -> {RESULTS.with_name('er_datagen_offline.json')}")
        return 0
    if "," in args.scale or "," in args.seed:
        raise SystemExit("several --scale or --seed values need --offline")
    args.scale, args.seed = float(args.scale), int(args.seed)
    catalog, settings = catalog_and_settings()
    if args.reset:
        reset(catalog)
    elif catalog.table_exists("raw.shopify_customers"):
        raise SystemExit("raw.shopify_customers exists: the truth covers only this run's records; "
                         "pass --reset (on a stack of your own) to start from empty tables")
    t0 = time.monotonic()
    gen = generate(args.scale, args.seed, args.scenario, crm_backfill=not args.no_crm_backfill)
    truth = gen.record_truth()
    out: dict = {"scale": args.scale, "seed": args.seed, "scenario": args.scenario,
                 "crm_backfill": not args.no_crm_backfill, "people": gen.people,
                 "raw_rows": {t: len(p) for t, p in gen.payloads.items()},
                 "generate_s": round(time.monotonic() - t0, 1)}
    runs = []
    halves = split_deliveries(gen.payloads, 0.5) if args.incremental else (gen.payloads,)
    history: list[dict[str, str]] = []
    for i, part in enumerate(halves):
        load_raw(catalog, part)
        staged = staging(settings)
        t1 = time.monotonic()
        stats = run_job("entity_resolution", ["--mode", "incremental"], settings)
        runs.append({"staging_s": staged, "er_s": round(time.monotonic() - t1, 1), **stats})
        history.append(entity_index(catalog))
    final = history[-1]
    out["runs"] = runs
    groups, unlinkable = linkable_groups(staging_records(catalog), truth)
    out["score"] = score(final, truth, groups).as_dict()
    out["unlinkable_true_pairs_share"] = dict(unlinkable.most_common())
    wrong, missed = errors(final, truth, limit=10)
    out["examples"] = {"wrongly_linked": wrong, "missed": missed}
    if args.incremental:
        alias = aliases(catalog)
        before = history[0]
        kept = sum(1 for rid, e in before.items() if final.get(rid) == e)
        aliased = sum(1 for rid, e in before.items()
                      if final.get(rid) != e and alias.get(e) == final.get(rid))
        live = set(final.values())
        split = sum(1 for rid, e in before.items() if final.get(rid) != e and alias.get(e) != final.get(rid)
                    and e in live)
        out["stable_ids"] = {"records_of_first_run": len(before), "same_id": kept, "id_aliased": aliased,
                             "split_off": split, "lost": len(before) - kept - aliased - split}
        t1 = time.monotonic()
        rebuild_stats = run_job("entity_resolution", ["--mode", "full"], settings)
        rebuilt = entity_index(catalog)
        out["rebuild"] = {"er_s": round(time.monotonic() - t1, 1),
                          "same_clustering": same_partition(final, rebuilt),
                          "entities": rebuild_stats.get("entities")}
    out["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                      "loadavg": [round(x, 2) for x in os.getloadavg()]}
    s = out["score"]
    print(f"\nground truth ({gen.people} people, scale {args.scale}, seed {args.seed}, "
          f"CRM backfill {'on' if out['crm_backfill'] else 'off'})")
    print(f"  records scored {s['records']:>7}  (unscored {s['unscored']})")
    print(f"  pairwise        precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}"
          f"   ({s['true_positive_pairs']} of {s['true_pairs']} true pairs, "
          f"{s['predicted_pairs']} predicted)")
    print(f"  linkable pairs  recall {s['recall_linkable']:.4f}   ({s['linkable_pairs']} true pairs joined by "
          f"identifying evidence; the others share {out['unlinkable_true_pairs_share']})")
    print(f"  clusters        {s['entities']} entities for {s['people']} people; "
          f"{s['people_exact']} people exact, {s['people_split']} split, "
          f"{s['entities_fused']} entities fused; largest entity {s['largest_entity']} "
          f"(largest person {s['largest_person']})")
    for r in runs:
        print(f"  run {r.get('mode')}: {r.get('records')} records, {r.get('changed_records')} changed, "
              f"{r.get('candidate_pairs')} pairs, staging {r['staging_s']}s, ER {r['er_s']}s")
    if args.incremental:
        print(f"  stable ids: {out['stable_ids']}; "
              f"rebuild same clustering: {out['rebuild']['same_clustering']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"-> {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
