"""Every batch step in one Spark session: staging (all tables) -> entity resolution -> core ->
analytics -> marts. The same functions as the per-step job files (staging.py, entity_resolution.py,
layers.py), which Airflow runs one task each; this file saves a JVM start per step where one
process runs them all (`icefloe batch run`, the tests).

    batch.py [--mode incremental|full] [--skip-er]

Entity resolution reads five of staging's thirteen tables (`conf/er_sources.yaml`): it starts as soon
as those are staged, beside the other eight, rather than after all of them. A small batch's steps
are mostly planning, commits and catalog round trips, which leave the cores idle, so the two fill
them together. Core, analytics and marts start once staging and entity resolution have both finished.

Prints one `ICEFLOE_RESULT <json>` per table, each with its `step`, and one `ICEFLOE_STEP` per step
(its wall time; for entity resolution also `overlap`: its seconds beside staging). `--mode full`
rebuilds staging and the layers from raw; entity resolution always runs incrementally (a full ER run
would mint new entity ids).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time

from icefloe_spark import emit

log = logging.getLogger("icefloe.spark.batch")
STEP_MARKER = "ICEFLOE_STEP"  # a step's wall time, when its tables ran side by side


def _emit(step: str, result: dict, seconds: float) -> None:
    emit("ICEFLOE_RESULT", {"step": step, **result, "seconds": round(seconds, 2)})


def _step_wall(step: str, seconds: float, overlap: float = 0.0) -> None:
    """A step's tables ran side by side: its time is its wall time, not the sum of theirs
    (`overlap`: how much of it ran beside the step before)."""
    emit(STEP_MARKER, {"step": step, "seconds": round(seconds, 2), "overlap": round(overlap, 2)})


ER = "entity_resolution"


def staging_and_er(spark, mode: str, with_er: bool = True) -> None:
    """Every staging table, and entity resolution as soon as the tables it reads are staged (beside
    the others; it does not take a table's place among the `ICEFLOE_BATCH_PARALLELISM` at a time).
    If one of its input tables fails, entity resolution is not run; the job fails once the others
    have finished (as `side_by_side` does for any table)."""
    import entity_resolution
    import staging
    from icefloe_spark import parallelism, side_by_side

    tables = sorted(staging.TABLES)
    reads = set(entity_resolution.input_tables(entity_resolution.SOURCES_FILE)) if with_er else set()
    feeds = [t for t in tables if f"staging.stg_{t}" in reads]
    pending, failed = set(feeds), []
    staged = threading.Condition()
    t0 = time.monotonic()
    clock = {"staging_end": t0, "er_start": None, "er_end": None}

    def build(session, item: str) -> dict:
        if item != ER:
            try:
                return staging.run(session, item, mode)
            except Exception as exc:
                failed.append((item, exc))
                raise
            finally:
                with staged:
                    pending.discard(item)
                    clock["staging_end"] = time.monotonic()
                    staged.notify_all()
        with staged:
            staged.wait_for(lambda: not pending)
        if failed:
            log.error("entity resolution not run: staging of %s failed", ", ".join(sorted(t for t, _ in failed)))
            raise failed[0][1]  # the cause, whichever of the two the job ends up raising
        started = clock["er_start"] = time.monotonic()
        log.info("entity resolution starts: its inputs %s are staged", ", ".join(feeds))
        try:
            result = entity_resolution.run_catalog("incremental", entity_resolution.SOURCES_FILE, spark=session)
        finally:
            clock["er_end"] = time.monotonic()
        return {"table": "semantic.entity_index", **result, "seconds": round(clock["er_end"] - started, 2)}

    def report(result: dict) -> None:
        _emit(ER if result["table"] == "semantic.entity_index" else "staging", result, result.pop("seconds"))

    workers = parallelism()
    if not with_er:
        items = tables
    elif workers == 1:  # one at a time: entity resolution after every table, as before
        items = [*tables, ER]
    else:  # its inputs first, then it (waiting for them), then the others
        items, workers = [*feeds, ER, *(t for t in tables if t not in feeds)], workers + 1
    try:
        side_by_side(spark, items, build, report, workers=workers)
    finally:
        _step_wall("staging", clock["staging_end"] - t0)
        if clock["er_start"] is not None:
            start, end = clock["er_start"], clock["er_end"] or time.monotonic()
            _step_wall(ER, end - start, max(0.0, min(clock["staging_end"], end) - start))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full"])
    parser.add_argument("--skip-er", action="store_true", help="do not run entity resolution")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)

    import layers
    from icefloe_spark import spark_session

    layers.incremental_min_rows()  # a bad ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS fails now, not after staging
    spark = spark_session("icefloe-batch")
    staging_and_er(spark, args.mode, with_er=not args.skip_er)
    layers.run_all(spark, layers.MODELS, args.mode,
                   on_level=lambda models, seconds: _step_wall(models[0].table.split(".")[0], seconds),
                   on_result=lambda result: _emit(result["table"].split(".")[0], result, result.pop("seconds")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
