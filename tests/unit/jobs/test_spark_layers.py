"""The layers job's table knowledge agrees with the staging job's and with the SQL files."""

import re

import pytest

from icefloe import PROJECT_ROOT



def test_staging_keys_are_the_staging_jobs_keys(layers, staging):
    for table, keys in layers.STAGING_KEYS.items():
        raw = table.removeprefix("staging.stg_")
        assert keys == (staging.TABLES[raw].key,), table


def test_every_staging_table_a_model_reads_has_a_key(layers):
    read = {up for m in layers.MODELS for up in m.upstream if up.startswith("staging.")}
    read |= set(layers.ENTITY_SOURCES)
    assert read <= set(layers.STAGING_KEYS)


def test_every_keyed_upstream_carries_an_audit_column(layers):
    """The change-based delta needs `_staged_at` / `_built_at` in the upstream's DDL."""
    for table in layers.TABLE_KEYS:
        schema, name = table.split(".")
        folder = {"staging": "01_staging", "core": "03_core", "analytics": "04_analytics", "marts": "05_marts"}[schema]
        ddl = (PROJECT_ROOT / "sql" / folder / f"{name}.sql").read_text().split("====  TRANSFORM")[0]
        assert re.search(r"^\s*(_staged_at|_built_at)\s+TIMESTAMP", ddl, re.M), table
        for key in layers.TABLE_KEYS[table]:
            assert re.search(rf"^\s*{key}\s+\w+", ddl, re.M), (table, key)


def test_models_of_a_level_read_only_tables_of_earlier_levels(layers):
    groups = layers.levels(layers.MODELS)
    assert [sorted({m.table.split(".")[0] for m in g}) for g in groups] == [["core"], ["analytics"], ["marts"]]
    built = set()
    for group in groups:
        assert all(u not in {m.table for m in group} for m in group for u in m.upstream)
        assert all(u in built for m in group for u in m.upstream if u in layers.BY_NAME)
        built |= {m.table for m in group}


def test_small_upstreams_are_rebuilt_large_ones_merged_and_zero_always_merges(layers):
    env = {}
    assert layers.incremental_min_rows(env) == layers.DEFAULT_MIN_ROWS
    assert layers.rebuild_is_cheaper(layers.DEFAULT_MIN_ROWS - 1, env)
    assert not layers.rebuild_is_cheaper(layers.DEFAULT_MIN_ROWS, env)
    assert not layers.rebuild_is_cheaper(None, env)  # a size the summaries do not give: merge
    env = {layers.MIN_ROWS_ENV: "0"}
    assert not layers.rebuild_is_cheaper(0, env) and not layers.rebuild_is_cheaper(10**9, env)
    assert layers.incremental_min_rows({layers.MIN_ROWS_ENV: " 2_000_000 "}) == 2_000_000


@pytest.mark.parametrize("value, says", [("lots", "not a whole number"), ("-5", "negative"), ("1e6", "not a whole")])
def test_a_threshold_that_is_not_a_row_count_is_refused_with_its_name(layers, value, says):
    with pytest.raises(SystemExit, match=f"ICEFLOE_LAYERS_INCREMENTAL_MIN_ROWS.*{says}"):
        layers.incremental_min_rows({layers.MIN_ROWS_ENV: value})
