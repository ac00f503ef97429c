"""Where an incremental entity-resolution run executes its method: on the driver (DuckDB) for a small
change, on Spark for a large one or when the driver lacks DuckDB. The engines' agreement is tested
on the stack (tests/integration/test_entity_resolution_job.py) and on files (test_er_spark_engine)."""

import logging
import sys

import pytest


def test_a_small_change_runs_on_the_driver_in_utc_and_a_large_one_on_spark(entity_resolution):
    er = entity_resolution
    assert er.driver_max_records({}) == er.DEFAULT_DRIVER_MAX
    duck = er.driver_engine(er.DEFAULT_DRIVER_MAX, env={})
    assert duck is not None
    assert duck.rows("SELECT current_setting('TimeZone') AS tz")[0]["tz"] == "UTC"
    duck.materialise("t", "SELECT 1 AS x UNION ALL SELECT 2")
    assert duck.arrow("SELECT sum(x) AS s FROM t").to_pylist() == [{"s": 3}]
    assert er.driver_engine(er.DEFAULT_DRIVER_MAX + 1, env={}) is None
    assert er.driver_engine(1, env={er.DRIVER_MAX_ENV: "0"}) is None
    assert er.driver_engine(2_000_000, env={er.DRIVER_MAX_ENV: " 2_000_000 "}) is not None


def test_a_driver_without_duckdb_runs_the_method_on_spark(entity_resolution, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # `import duckdb` raises ImportError
    with caplog.at_level(logging.WARNING):
        assert entity_resolution.driver_engine(10, env={}) is None
    assert "no duckdb on the driver" in caplog.text


@pytest.mark.parametrize("value, says", [("lots", "not a whole number"), ("-1", "negative"), ("5e4", "not a whole")])
def test_a_driver_limit_that_is_not_a_count_is_refused_with_its_name(entity_resolution, value, says):
    with pytest.raises(SystemExit, match=f"ICEFLOE_ER_DRIVER_MAX_RECORDS.*{says}"):
        entity_resolution.driver_max_records({entity_resolution.DRIVER_MAX_ENV: value})
