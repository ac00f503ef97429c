"""Core, analytics and marts: staging.* -> core.* -> analytics.* -> marts.*, incrementally by changed keys.

    layers.py --table core.orders [--mode incremental|full]
    layers.py --layer core|analytics|marts
    layers.py --all

Every model is one SQL file (sql/03_core, sql/04_analytics, sql/05_marts) with a DDL, a TRANSFORM
(the whole table from its upstream views) and a CHANGED_KEYS section (which target keys an upstream
change touches). Upstream tables are read at pinned snapshots: `<schema>_<table>` is the upstream at
its current snapshot, `<schema>_<table>__prev` at the snapshot the model last covered, and
`delta_<schema>_<table>` holds the rows that differ between the two, old and new versions both
(changes, inserts and deletions alike: MERGE targets cannot be read as appends, invariant 3).

The delta follows the change, not the table: a row written since the previous snapshot carries an
audit timestamp (`_staged_at`, `_built_at`) later than every one that snapshot holds (the jobs of a
table run one at a time), so the new versions are the rows past the previous maximum (a filter
Iceberg answers from file statistics), their old versions are looked up by key, and keys that
vanished come from a key-only anti-join. The delta may hold rows whose values did not change (a
rewritten row): harmless, those keys are recomputed to the same result. Upstreams without an audit
column or a known key (`semantic.entity_index`) are compared whole (EXCEPT both ways). Each delta,
the entity map and the changed keys are computed at most once per run (cached when first read: a
delta no model's SQL reads costs nothing), not once per reference.

An incremental run of a model whose upstreams are small (fewer rows than
ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS, from the snapshots' summaries) rebuilds it in full instead:
cheaper than finding the changes at that size (MIN_ROWS_ENV below). Otherwise it
recomputes the TRANSFORM only for the changed keys and MERGEs the result:
updated keys are updated, new keys inserted, keys that no longer produce a row deleted. So for any
sequence of runs the table equals a full rebuild (invariant 4). The watermarks (one per upstream)
advance only after the MERGE has committed (invariant 2), in one commit with those of the other
models of the level.

Entity ids: if `semantic.entity_index` (entity_id, source, source_id) exists, the view `entity_map`
comes from it, and source records it does not hold (yet) fall back to exact matching on the
normalised email (entity_id = hash of the email); without the index the email match stands in for
all, see sql/03_core/README.md. The models of one level that use entities (core's three) share one
`entity_map` and `entity_map_delta`, computed once before they start (global temporary views, pinned
at the same snapshots the models then read), when their watermarks agree.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass

from icefloe_spark import (
    env_count,
    CATALOG,
    LayerSql,
    Phases,
    current_ancestors,
    current_snapshot,
    emit,
    ensure_watermarks,
    latest_audit_micros,
    pause_point,
    read_watermarks,
    side_by_side,
    snapshot_records,
    table_columns,
    table_exists,
    write_watermarks,
)

log = logging.getLogger("icefloe.spark.layers")

ENTITY_INDEX = "semantic.entity_index"
ENTITY_SOURCES = ("staging.stg_shopify_customers", "staging.stg_stripe_customers", "staging.stg_hubspot_contacts")
AUDIT_COLUMNS = ("_staged_at", "_built_at")
#: keys of the staging tables the layers read (staging.py's TABLES holds the same; a unit test checks)
STAGING_KEYS = {
    "staging.stg_shopify_orders": ("order_id",),
    "staging.stg_shopify_customers": ("customer_id",),
    "staging.stg_stripe_customers": ("customer_id",),
    "staging.stg_stripe_charges": ("charge_id",),
    "staging.stg_stripe_refunds": ("refund_id",),
    "staging.stg_stripe_disputes": ("dispute_id",),
    "staging.stg_hubspot_contacts": ("contact_id",),
}


@dataclass(frozen=True)
class Model:
    table: str
    keys: tuple[str, ...]
    upstream: tuple[str, ...]
    uses_entities: bool = False

    @property
    def layer_dir(self) -> str:
        return {"core": "03_core", "analytics": "04_analytics", "marts": "05_marts"}[self.table.split(".")[0]]


#: in dependency order
MODELS: tuple[Model, ...] = (
    Model("core.customers", ("entity_id",), (), uses_entities=True),
    Model("core.orders", ("order_id",), ("staging.stg_shopify_orders",), uses_entities=True),
    Model("core.payments", ("payment_id",), ("staging.stg_stripe_charges", "staging.stg_stripe_refunds",
                                             "staging.stg_stripe_disputes"), uses_entities=True),
    Model("analytics.customer_metrics", ("entity_id",), ("core.orders", "core.payments")),
    Model("analytics.order_summary", ("order_date", "channel", "region"), ("core.orders",)),
    Model("analytics.payment_metrics", ("payment_date", "payment_method"), ("core.payments",)),
    Model("marts.customer_360", ("entity_id",), ("core.customers", "analytics.customer_metrics")),
    Model("marts.sales_dashboard_daily", ("date",), ("analytics.order_summary", "analytics.payment_metrics",
                                                     "analytics.customer_metrics")),
)
BY_NAME = {m.table: m for m in MODELS}
#: every upstream whose rows have a key (deltas by change); others are compared whole
TABLE_KEYS: dict[str, tuple[str, ...]] = {**STAGING_KEYS, **{m.table: m.keys for m in MODELS}}

#: exact email matching, the stand-in for semantic.entity_index (same columns)
EMAIL_ENTITY_MAP = """
SELECT source, source_id, concat('ent_', substr(sha2(coalesce(email_norm, concat(source, ':', source_id)), 256), 1, 24))
         AS entity_id
FROM (
  SELECT 'shopify' AS source, customer_id AS source_id, lower(trim(email)) AS email_norm FROM staging_stg_shopify_customers{s}
  UNION ALL
  SELECT 'stripe', customer_id, lower(trim(email)) FROM staging_stg_stripe_customers{s}
  UNION ALL
  SELECT 'hubspot', contact_id, lower(trim(email)) FROM staging_stg_hubspot_contacts{s}
)
WHERE source_id IS NOT NULL
"""


#: below this many rows in a model's upstreams (their current snapshots) an incremental run rebuilds
#: the model in full: finding the changed keys and MERGEing them has a fixed cost (~10-25 s a model
#: on 2 cores: deltas of each upstream, the changed keys, a MERGE joined against the whole target)
#: that a rebuild of a small table undercuts. Measured (benchmarks/batch_cost.py, +1 %): over 1M
#: deliveries core took 12.9 s to rebuild and 30.6 s incrementally, over 5M (upstreams of up to
#: 1.05M rows) 23.5 s and 36.6 s, so the crossover lies above; 0 always MERGEs (the tests of
#: invariant 3 do).
MIN_ROWS_ENV = "ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS"
DEFAULT_MIN_ROWS = 5_000_000


def incremental_min_rows(env=None) -> int:
    return env_count(MIN_ROWS_ENV, DEFAULT_MIN_ROWS, "rows", "always merges the changes", env)


def rebuild_is_cheaper(upstream_rows: int | None, env=None) -> bool:
    """An incremental run of a model whose upstreams hold fewer rows than the threshold rebuilds it
    (unknown sizes never do)."""
    return upstream_rows is not None and upstream_rows < incremental_min_rows(env)


def snapshot_rows(spark, snaps: dict[str, int | None]) -> int | None:
    """Rows in these tables at these snapshots, from the snapshots' summaries (metadata only: no data
    file is read; rows removed by position deletes still count, which only errs towards merging)."""
    total = 0
    for table, snap in snaps.items():
        if snap is None:
            continue
        rows = snapshot_records(spark, table, snap)
        if rows is None:
            return None
        total += rows
    return total


def view_name(table: str) -> str:
    return table.replace(".", "_")


def upstreams(model: Model, spark) -> list[str]:
    ups = list(model.upstream)
    if model.uses_entities:
        ups += [*ENTITY_SOURCES]
        if table_exists(spark, ENTITY_INDEX):
            ups.append(ENTITY_INDEX)
    return list(dict.fromkeys(ups))


#: views each session cached during its current run (uncached when the run ends: models of one
#: level run side by side in sessions of one SparkContext, so clearing the whole cache would drop theirs)
_CACHED: dict[int, list[str]] = {}


def _cache(spark, view: str, query: str | None = None, lazy: bool = False) -> None:
    """`view` as the result of `query` (or as it is), kept in memory once computed (read several
    times): now, or if `lazy` when first read (a delta no model's SQL reads is never computed)."""
    when = "LAZY " if lazy else ""
    if query is not None:
        spark.catalog.dropTempView(view)  # (DROP VIEW would go to the Iceberg catalog)
        spark.sql(f"CACHE {when}TABLE {view} AS {query}")
    else:
        spark.sql(f"CACHE {when}TABLE {view}")
    _CACHED.setdefault(id(spark), []).append(view)


def _uncache(spark) -> None:
    for view in reversed(_CACHED.pop(id(spark), [])):
        spark.catalog.dropTempView(view)  # uncaches it too


def levels(models) -> list[list[Model]]:
    """`models` grouped so that each group's models read only tables of earlier groups (in order)."""
    depth: dict[str, int] = {}
    for m in MODELS:  # dependency order
        depth[m.table] = 1 + max((depth[u] for u in m.upstream if u in depth), default=-1)
    groups: dict[int, list[Model]] = {}
    for m in models:
        groups.setdefault(depth[m.table], []).append(m)
    return [groups[d] for d in sorted(groups)]


def run_all(spark, models, mode: str = "incremental", on_level=lambda models, seconds: None,
            on_result=lambda result: None) -> list[dict]:
    """Every model of `models`, level by level; the models of one level side by side."""
    results = []
    for group in levels(models):
        t0 = time.monotonic()
        owner, shared = _share_entity_views(spark, group) if mode == "incremental" else (None, None)
        try:
            results += side_by_side(spark, group, lambda session, model: run(session, model, mode, shared),
                                    on_result)
        finally:
            if owner is not None:
                for name in SHARED_VIEWS.values():
                    owner.catalog.dropGlobalTempView(name)
                _uncache(owner)
        on_level(group, round(time.monotonic() - t0, 2))
    return results


#: the entity views the models of a level share (global temporary views, cached once)
SHARED_VIEWS = {"entity_map": "icefloe_entity_map", "entity_map_delta": "icefloe_entity_map_delta"}


def _share_entity_views(spark, group) -> tuple[object, dict[str, int]] | tuple[None, None]:
    """`entity_map` and `entity_map_delta` computed once for every model of `group` that uses them
    (core's three would each compute the same), when their watermarks agree on every entity
    upstream; returns the session holding them (one of their own: each model's run drops the views
    it cached in its session, the caller's own when they run one at a time) and the snapshots they
    are pinned at (the models pin the same), else (None, None)."""
    none = (None, None)
    users = [m for m in group if m.uses_entities]
    if len(users) < 2:
        return none
    ups = [up for up in upstreams(users[0], spark) if up in (*ENTITY_SOURCES, ENTITY_INDEX)]
    if not all(table_exists(spark, up) for up in ups):
        return none  # each model says which is missing
    marks = [read_watermarks(spark, m.table) for m in users]
    prev = {up: marks[0].get(up) for up in ups}
    if any(v is None for v in prev.values()) or any(m.get(up) != prev[up] for m in marks for up in ups):
        return none  # a model rebuilds in full, or they cover different snapshots: each on its own
    snaps = {up: current_snapshot(spark, up) for up in ups}
    if any(prev[up] not in current_ancestors(spark, up) for up in ups):
        return none
    owner = spark.newSession()
    for up in ups:
        _pin(owner, up, snaps[up], prev[up])
    _entity_views(owner, incremental=True)
    for view, shared in SHARED_VIEWS.items():
        owner.table(view).createOrReplaceGlobalTempView(shared)
    log.info("entity map shared by %s", ", ".join(m.table for m in users))
    return owner, snaps


def _pin(spark, table: str, snap: int | None, prev: int | None) -> None:
    """`<view>` at snap, `<view>__prev` at prev (empty when None) and `delta_<view>` (cached when
    prev is a real earlier snapshot: an incremental run reads it several times)."""
    name, full = view_name(table), f"{CATALOG}.{table}"
    at = f"VERSION AS OF {snap}" if snap is not None else ""
    spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {full} {at}")
    if prev is not None:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW {name}__prev AS SELECT * FROM {full} VERSION AS OF {prev}")
    else:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW {name}__prev AS SELECT * FROM {full} {at} WHERE false")
    new_cols = [f.name for f in spark.table(name).schema.fields]
    old_cols = {f.name for f in spark.table(f"{name}__prev").schema.fields}
    common = ", ".join(c for c in new_cols if c in old_cols and c not in AUDIT_COLUMNS)
    if prev == snap:
        spark.sql(f"CREATE OR REPLACE TEMP VIEW delta_{name} AS SELECT {common} FROM {name} WHERE false")
        return
    if prev is None:  # a full build: nothing reads the delta
        spark.sql(f"CREATE OR REPLACE TEMP VIEW delta_{name} AS SELECT {common} FROM {name}")
        return
    audit = next((c for c in AUDIT_COLUMNS if c in new_cols and c in old_cols), None)
    keys = TABLE_KEYS.get(table)
    if audit is None or not keys:
        _cache(spark, f"delta_{name}", f"""
            (SELECT {common} FROM {name} EXCEPT SELECT {common} FROM {name}__prev)
            UNION ALL
            (SELECT {common} FROM {name}__prev EXCEPT SELECT {common} FROM {name})""", lazy=True)
        return
    since = latest_audit_micros(spark, table, prev, audit)
    fresh = (f"SELECT * FROM {name} WHERE {audit} > timestamp_micros({since})" if since is not None
             else f"SELECT * FROM {name}")
    key_list = ", ".join(keys)
    on = " AND ".join(f"p.{k} <=> n.{k}" for k in keys)
    _cache(spark, f"fresh_{name}", fresh, lazy=True)
    _cache(spark, f"delta_{name}", f"""
        SELECT {common} FROM fresh_{name}
        UNION ALL
        SELECT {common} FROM {name}__prev WHERE ({key_list}) IN (
          SELECT {key_list} FROM fresh_{name}
          UNION ALL
          SELECT {", ".join(f"p.{k}" for k in keys)} FROM (SELECT {key_list} FROM {name}__prev) p
          LEFT ANTI JOIN (SELECT {key_list} FROM {name}) n ON {on})""", lazy=True)


def _entity_views(spark, incremental: bool) -> None:
    if table_exists(spark, ENTITY_INDEX):
        # entity resolution's ids; a source record it has not seen (a Shopify customer without an
        # order, or one created since its last run) falls back to exact email matching
        for suffix in ("", "__prev"):
            spark.sql(f"""CREATE OR REPLACE TEMP VIEW entity_map{suffix} AS
                SELECT source, source_id, entity_id FROM semantic_entity_index{suffix}
                UNION ALL
                SELECT e.source, e.source_id, e.entity_id FROM ({EMAIL_ENTITY_MAP.format(s=suffix)}) e
                LEFT ANTI JOIN semantic_entity_index{suffix} i ON i.source = e.source AND i.source_id = e.source_id""")
    else:
        for suffix in ("", "__prev"):
            spark.sql(f"CREATE OR REPLACE TEMP VIEW entity_map{suffix} AS {EMAIL_ENTITY_MAP.format(s=suffix)}")
    _cache(spark, "entity_map")
    if not incremental:
        return
    # source records whose entity changed (either side), and their entities before and after
    _cache(spark, "entity_map_delta", """
        (SELECT * FROM entity_map EXCEPT SELECT * FROM entity_map__prev)
        UNION ALL (SELECT * FROM entity_map__prev EXCEPT SELECT * FROM entity_map)""", lazy=True)


def run(spark, model: Model, mode: str = "incremental", shared: dict[str, int] | None = None) -> dict:
    """Build `model`; `shared`: the level's entity views exist (_share_entity_views), pinned at these
    snapshots."""
    try:
        return _run(spark, model, mode, shared if model.uses_entities else None)
    finally:
        _uncache(spark)


def _run(spark, model: Model, mode: str, shared: dict[str, int] | None) -> dict:
    sql = LayerSql.load(model.layer_dir, model.table.split(".")[1])
    spark.sql(sql.ddl)
    ensure_watermarks(spark)
    ups = upstreams(model, spark)
    for up in ups:
        if not table_exists(spark, up):
            raise SystemExit(f"{model.table} needs {up}, which does not exist: run the jobs above it first "
                             f"(staging.py --all, then layers.py in order)")
    snaps = {up: shared[up] if shared and up in shared else current_snapshot(spark, up) for up in ups}
    pause_point("planned")
    marks = read_watermarks(spark, model.table)
    lost = [up for up in ups if up in marks and marks[up] not in current_ancestors(spark, up)]
    if lost:
        log.warning("%s: the snapshot its watermark recorded for %s is gone (expired or rolled back): "
                    "rebuilding it in full this time", model.table, ", ".join(lost))
    full = (mode == "full" or any(up not in marks for up in ups if snaps[up] is not None)
            or current_snapshot(spark, model.table) is None or bool(lost))
    result = {"table": model.table, "mode": "full" if full else "incremental", "changed_keys": None,
              "rows": 0}
    phases = Phases()
    if not full and all(marks.get(up) == snaps[up] for up in ups):
        log.info("%s: no upstream change", model.table)
        return result
    if not full:
        size = snapshot_rows(spark, snaps)
        if rebuild_is_cheaper(size):
            full = True
            result.update(mode="full", why=f"its upstreams hold {size:,} rows, fewer than {MIN_ROWS_ENV}="
                                           f"{incremental_min_rows():,}: rebuilding costs less than finding the changes")
            log.info("%s: rebuilt in full: %s", model.table, result["why"])
    for up in ups:
        _pin(spark, up, snaps[up], None if full else marks.get(up))
    if model.uses_entities:
        if shared:  # the same views every model of the level would compute, computed once
            for view, name in SHARED_VIEWS.items():
                spark.sql(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM global_temp.{name}")
        else:
            _entity_views(spark, incremental=not full)
    phases.mark("pin")
    columns = [c for c, _ in table_columns(spark, model.table)]
    col_list = ", ".join(columns)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW model_all AS {sql.transform}")
    if full:
        spark.sql(f"INSERT OVERWRITE {model.table} ({col_list}) SELECT {col_list} FROM model_all")
        # rows written, from the commit's summary (counting model_all would compute it all again)
        result["rows"] = snapshot_rows(spark, {model.table: current_snapshot(spark, model.table)}) or 0
        phases.mark("write")
    else:
        keys = model.keys
        key_list = ", ".join(keys)
        _cache(spark, "changed_keys", f"SELECT DISTINCT {key_list} FROM ({sql.changed_keys}) "
               f"WHERE " + " AND ".join(f"{k} IS NOT NULL" for k in keys))
        on_ck = " AND ".join(f"m.{k} = ck.{k}" for k in keys)
        spark.sql(f"""CREATE OR REPLACE TEMP VIEW merge_src AS
            SELECT {", ".join(f"ck.{k} AS __key_{k}" for k in keys)}, m.*, m.{keys[0]} IS NOT NULL AS __present
            FROM changed_keys ck LEFT JOIN (
              SELECT * FROM model_all WHERE ({key_list}) IN (SELECT {key_list} FROM changed_keys)
            ) m ON {on_ck}""")
        result["changed_keys"] = spark.sql("SELECT count(*) AS n FROM changed_keys").first().n
        phases.mark("changed_keys")
        on = " AND ".join(f"t.{k} = s.__key_{k}" for k in keys)
        sets = ", ".join(f"{c} = s.{c}" for c in columns)
        values = ", ".join(f"s.{c}" for c in columns)
        spark.sql(f"""
            MERGE INTO {model.table} t USING merge_src s ON {on}
            WHEN MATCHED AND NOT s.__present THEN DELETE
            WHEN MATCHED THEN UPDATE SET {sets}
            WHEN NOT MATCHED AND s.__present THEN INSERT ({col_list}) VALUES ({values})
        """)
        result["rows"] = result["changed_keys"]
        phases.mark("write")
    log.info("%s: write committed", model.table)
    pause_point("between_commits")
    # Only after the write has committed (invariant 2).
    write_watermarks(spark, model.table, snaps, result["rows"])
    phases.mark("watermark")
    result["phases"] = phases.seconds
    log.info("%s: %s", model.table, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--table", action="append", choices=sorted(BY_NAME), help="a model (repeatable)")
    which.add_argument("--layer", action="append", choices=["core", "analytics", "marts"])
    which.add_argument("--all", action="store_true", help="every model, in dependency order")
    parser.add_argument("--mode", default="incremental", choices=["incremental", "full"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.all:
        models = list(MODELS)
    elif args.layer:
        models = [m for m in MODELS if m.table.split(".")[0] in args.layer]
    else:
        models = [m for m in MODELS if m.table in args.table]
    from icefloe_spark import spark_session

    incremental_min_rows()  # a bad threshold fails before the session starts
    spark = spark_session("icefloe-layers")
    run_all(spark, models, args.mode, on_result=lambda result: emit("ICEFLOE_RESULT", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
