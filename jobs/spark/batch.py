"""Every batch step in one Spark session: staging (all tables) -> entity resolution -> core ->
analytics -> marts. The same functions as the per-step job files (staging.py, entity_resolution.py,
layers.py), which Airflow runs one task each; this file saves a JVM start per step where one
process runs them all (`icefloe batch run`, the tests).

    batch.py [--mode incremental|full] [--skip-er]

Prints one `ICEFLOE_RESULT <json>` per table, each with its `step`. `--mode full` rebuilds staging and
the layers from raw; entity resolution always runs incrementally (a full ER run would mint new
entity ids).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from icefloe_spark import emit

log = logging.getLogger("icefloe.spark.batch")
STEP_MARKER = "ICEFLOE_STEP"  # a step's wall time, when its tables ran side by side


def _emit(step: str, result: dict, seconds: float) -> None:
    emit("ICEFLOE_RESULT", {"step": step, **result, "seconds": round(seconds, 2)})


def _step_wall(step: str, seconds: float) -> None:
    """A step's tables ran side by side: its time is its wall time, not the sum of theirs."""
    emit(STEP_MARKER, {"step": step, "seconds": round(seconds, 2)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full"])
    parser.add_argument("--skip-er", action="store_true", help="do not run entity resolution")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)

    import entity_resolution
    import layers
    import staging
    from icefloe_spark import spark_session

    layers.incremental_min_rows()  # a bad ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS fails now, not after staging
    entity_resolution.driver_max_records()  # and a bad ICEFLOE_ER_DRIVER_MAX_RECORDS
    spark = spark_session("icefloe-batch")
    t0 = time.monotonic()
    staging.run_all(spark, sorted(staging.TABLES), args.mode,
                    on_result=lambda result: _emit("staging", result, result.pop("seconds")))
    _step_wall("staging", time.monotonic() - t0)
    if not args.skip_er:
        t0 = time.monotonic()
        result = entity_resolution.run_catalog("incremental", entity_resolution.SOURCES_FILE)
        _emit("entity_resolution", {"table": "semantic.entity_index", **result}, time.monotonic() - t0)
    layers.run_all(spark, layers.MODELS, args.mode,
                   on_level=lambda models, seconds: _step_wall(models[0].table.split(".")[0], seconds),
                   on_result=lambda result: _emit(result["table"].split(".")[0], result, result.pop("seconds")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
