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
import json
import logging
import sys
import time

log = logging.getLogger("icefloe.spark.batch")


def _emit(step: str, result: dict, seconds: float) -> None:
    print(f"ICEFLOE_RESULT {json.dumps({'step': step, **result, 'seconds': round(seconds, 2)}, default=str)}",
          flush=True)


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

    spark = spark_session("icefloe-batch")
    for table in sorted(staging.TABLES):
        t0 = time.monotonic()
        _emit("staging", staging.run(spark, table, args.mode), time.monotonic() - t0)
    if not args.skip_er:
        t0 = time.monotonic()
        result = entity_resolution.run_catalog("incremental", entity_resolution.SOURCES_FILE)
        _emit("entity_resolution", {"table": "semantic.entity_index", **result}, time.monotonic() - t0)
    for model in layers.MODELS:
        t0 = time.monotonic()
        _emit(model.table.split(".")[0], layers.run(spark, model, args.mode), time.monotonic() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
