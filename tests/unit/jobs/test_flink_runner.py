import json

import pytest

from icefloe.sources import load_sources

PROFILE = {"ICEFLOE_CATALOG_URI": "http://cat:1", "ICEFLOE_KAFKA_BOOTSTRAP_SERVERS": "k:9",
           "ICEFLOE_S3_ENDPOINT": "http://s3:2", "ICEFLOE_S3_PATH_STYLE": "true"}


def test_every_declared_source_renders_source_sink_insert_and_dead_letter(runner):
    declared = runner.select_sources("all")
    assert len(declared) == len(load_sources().sources) == 13
    for src in declared:
        st = runner.render(src, PROFILE, bounded=False)
        assert set(st) == {"SOURCE", "SINK", "INSERT", "DEAD_LETTER"}
        name = f"{src['source']}_{src['object']}"
        assert f"icefloe.`raw`.{name}" in st["SINK"] and f"icefloe.`raw`.{name}" in st["INSERT"]
        assert f"'topic' = '{src['source']}.{src['object']}'" in st["SOURCE"]
        for field in src["key_fields"]:
            assert f"`{field}`" in st["SINK"] and f"AS `{field}`" in st["INSERT"]
        assert "IS JSON" in st["INSERT"] and "NOT (CAST(`value` AS STRING) IS JSON)" in st["DEAD_LETTER"]
        assert "scan.bounded.mode" not in st["SOURCE"]


def test_bounded_runs_stop_at_latest_offsets(runner):
    st = runner.render(runner.select_sources("shopify_orders")[0], PROFILE, bounded=True)
    assert "'scan.bounded.mode' = 'latest-offset'" in st["SOURCE"]


def test_start_offsets_come_from_iceberg_one_past_the_last_written(runner):
    assert runner.startup_options(None) == "'scan.startup.mode' = 'earliest-offset',"
    opts = runner.startup_options({1: 41, 0: 9})
    assert "'scan.startup.specific-offsets' = 'partition:0,offset:10;partition:1,offset:42'" in opts


def test_unknown_source_names_the_declared_ones(runner):
    with pytest.raises(SystemExit, match="shopify_orders"):
        runner.select_sources("shopify_carts")


def test_catalog_ddl_has_path_style_locally_and_sigv4_for_glue(runner):
    local = runner.catalog_ddl(PROFILE)
    assert "'s3.path-style-access' = 'true'" in local and "sigv4" not in local
    aws = runner.catalog_ddl({"ICEFLOE_CATALOG_URI": "https://glue.eu-west-1.amazonaws.com/iceberg",
                              "ICEFLOE_CATALOG_SIGV4": "true", "ICEFLOE_REGION": "eu-west-1"})
    assert "'rest.sigv4-enabled' = 'true'" in aws and "'rest.signing-name' = 'glue'" in aws
    assert "s3.endpoint" not in aws


def test_managed_flink_runtime_properties_map_onto_the_contract(runner, tmp_path, monkeypatch):
    props = tmp_path / "application_properties.json"
    props.write_text(json.dumps([{"PropertyGroupId": "icefloe", "PropertyMap": {
        "catalog_uri": "https://glue/iceberg", "ICEFLOE_REGION": "eu-west-1"}}]))
    monkeypatch.setattr(runner, "MANAGED_FLINK_PROPERTIES", props)
    for k in [k for k in __import__("os").environ if k.startswith("ICEFLOE_")]:
        monkeypatch.delenv(k)
    profile = runner.load_profile()
    assert profile["ICEFLOE_CATALOG_URI"] == "https://glue/iceberg"
    assert profile["ICEFLOE_REGION"] == "eu-west-1"


def test_latest_checkpoint_is_the_newest_completed_one(runner, tmp_path):
    import os
    import time

    for job, chk, complete in [("a", 3, True), ("b", 7, True), ("b", 8, False)]:
        d = tmp_path / job / f"chk-{chk}"
        d.mkdir(parents=True)
        if complete:
            (d / "_metadata").write_text("x")
        time.sleep(0.01)
        os.utime(d, None)
    assert runner.latest_checkpoint(tmp_path.as_uri()).endswith("b/chk-7")
    assert runner.latest_checkpoint((tmp_path / "none").as_uri()) is None


def _catalog_serving(tables: dict[str, list[dict]]):
    """A minimal stand-in for the REST catalog's load-table endpoint (only the metadata's snapshots)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's API
            name = self.path.rsplit("/", 1)[-1]
            if name not in tables:
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps({"metadata": {"snapshots": tables[name]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_checkpoint_is_not_restored_once_another_job_wrote_its_tables(runner, tmp_path):
    chk = tmp_path / "streaming-shopify_orders" / "aaaa" / "chk-7"
    chk.mkdir(parents=True)
    (chk / "_metadata").write_bytes(b"x")
    at = int((chk / "_metadata").stat().st_mtime * 1000)

    def snap(ms, job, added):
        return {"timestamp-ms": ms, "summary": {"flink.job-id": job, "added-records": str(added)}}

    tables = {
        "shopify_orders": [snap(at - 5000, "aaaa", 10), snap(at + 2000, "aaaa", 5)],  # own commit after: fine
        "dead_letters": [snap(at + 3000, "bbbb", 0)],  # another job's empty commit: no records to re-read
    }
    server = _catalog_serving(tables)
    profile = {"ICEFLOE_CATALOG_URI": f"http://127.0.0.1:{server.server_port}"}
    try:
        assert runner.foreign_commits_since(str(chk), ["shopify_orders", "dead_letters", "absent"], profile) == []
        tables["shopify_orders"].append(snap(at + 4000, "bbbb", 50000))  # a bounded run in between
        assert runner.foreign_commits_since(str(chk), ["shopify_orders", "dead_letters"], profile) == [
            "shopify_orders"]
    finally:
        server.shutdown()
