import pytest


def test_layer_sql_files_split_into_ddl_and_transform(spark_common):
    sql = spark_common.LayerSql.load("01_staging", "stg_shopify_orders")
    assert sql.ddl.startswith("CREATE TABLE IF NOT EXISTS staging.stg_shopify_orders")
    assert "'format-version' = '2'" in sql.ddl and "zstd" in sql.ddl
    code = [ln for ln in sql.transform.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    assert code[0].startswith("SELECT") and code[-1] == "FROM raw_batch"


def test_settings_come_only_from_the_contract_and_name_the_missing_variable(spark_common):
    with pytest.raises(SystemExit, match="ICEFLOE_CATALOG_URI"):
        spark_common.SparkSettings.from_env({})
    s = spark_common.SparkSettings.from_env({
        "ICEFLOE_CATALOG_URI": "http://c", "ICEFLOE_S3_ENDPOINT": "http://s3", "ICEFLOE_S3_PATH_STYLE": "true",
        "ICEFLOE_S3_ACCESS_KEY_ID": "a", "ICEFLOE_S3_SECRET_ACCESS_KEY": "b"})
    conf = s.catalog_conf()
    assert conf["spark.sql.catalog.icefloe.type"] == "rest"
    assert conf["spark.sql.catalog.icefloe.s3.path-style-access"] == "true"
    assert conf["spark.sql.catalog.icefloe.io-impl"] == "org.apache.iceberg.aws.s3.S3FileIO"


def test_on_aws_the_catalog_signs_with_sigv4_and_has_no_endpoint(spark_common):
    s = spark_common.SparkSettings.from_env({"ICEFLOE_CATALOG_URI": "https://glue", "ICEFLOE_CATALOG_SIGV4": "true"})
    conf = s.catalog_conf()
    assert conf["spark.sql.catalog.icefloe.rest.sigv4-enabled"] == "true"
    assert not any("s3.endpoint" in k for k in conf)
