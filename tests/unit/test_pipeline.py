"""icefloe.pipeline (figures from the jobs' result lines) and icefloe.emr (the artifacts' layout)."""

from __future__ import annotations

import zipfile

import pytest

from icefloe import emr
from icefloe.pipeline import _notes, parse_results, run_batch, step_walls


def test_result_lines_are_parsed_and_other_output_ignored():
    out = "\n".join([
        "24/11/23 WARN something",
        'ICEFLOE_RESULT {"step": "staging", "table": "staging.stg_shopify_orders", "rows_merged": 3}',
        "ICEFLOE_RESULT {'records': 10, 'entities': 7, 'reduction_ratio': 0.5}",
        "ICEFLOE_RESULTS is not a result line",
    ])
    assert parse_results(out) == [
        {"step": "staging", "table": "staging.stg_shopify_orders", "rows_merged": 3},
        {"records": 10, "entities": 7, "reduction_ratio": 0.5},
    ]


def test_a_step_whose_tables_ran_side_by_side_takes_its_wall_time_not_their_sum():
    out = "\n".join([
        'ICEFLOE_RESULT {"step": "staging", "table": "staging.stg_a", "seconds": 30.0}',
        'ICEFLOE_RESULT {"step": "staging", "table": "staging.stg_b", "seconds": 25.0}',
        'ICEFLOE_STEP {"step": "staging", "seconds": 31.5}',
        "ICEFLOE_STEPS is not a step line",
    ])
    assert step_walls(out) == {"staging": 31.5}
    assert step_walls("ICEFLOE_RESULT {}") == {}


def test_a_tables_progress_line_names_its_rejected_rows_and_unknown_fields():
    assert _notes({"table": "staging.stg_a", "rows_merged": 3}) == ""
    line = _notes({"rejected_rows": 2, "rejects": ["0/17: [CAST_INVALID_INPUT] ..."], "unexpected_fields": ["x", "y"]})
    assert "2 raw row(s) did not type" in line and "metadata.staging_rejects" in line and "0/17: [CAST" in line
    assert "payload fields staging does not know yet (kept in raw): x, y" in line


def test_an_unknown_mode_is_refused_before_any_job_starts():
    with pytest.raises(ValueError, match="incremental or full"):
        run_batch(mode="range")


def test_emr_artifacts_are_laid_out_as_on_s3_with_sql_and_conf_in_the_archive(tmp_path):
    laid_out = emr.package(tmp_path)
    assert {"jobs/spark/staging.py", "jobs/spark/entity_resolution.py", "jobs/spark/layers.py", "jobs/spark/maintenance.py",
            "jobs/spark/icefloe_spark.py", "jobs/spark/er_core.py", emr.ARCHIVE} == set(laid_out)
    names = zipfile.ZipFile(tmp_path / emr.ARCHIVE).namelist()
    assert "sql/03_core/customers.sql" in names and "conf/er_sources.yaml" in names
    # deterministic: the same files give the same bytes (uploads by content stay no-ops)
    again = emr.build_archive(tmp_path / "again.zip")
    assert again.read_bytes() == (tmp_path / emr.ARCHIVE).read_bytes()


def test_upload_refuses_a_uri_that_is_not_s3(tmp_path):
    with pytest.raises(ValueError, match="s3://bucket"):
        emr.upload(None, "https://bucket/prefix", tmp_path)


def test_an_unreadable_result_line_is_skipped_with_a_warning_not_a_crash(caplog):
    bad = 'ICEFLOE_RESULT {"step": "staging", "snapshot": 27ICEFLOE_RESULT {"step": "core"}'  # interleaved
    out = "\n".join([bad, 'ICEFLOE_RESULT {"step": "core", "table": "core.orders"}'])
    assert parse_results(out) == [{"step": "core", "table": "core.orders"}]
    assert "unreadable ICEFLOE_RESULT line" in caplog.text
