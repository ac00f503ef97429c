"""What every icefloe Spark job shares: the SparkSession on the Iceberg catalog, configured only
from the `ICEFLOE_` contract, and the layered SQL files under `sql/`.

The same file runs in PySpark local mode and on EMR Serverless; only the environment differs.
It deliberately imports nothing from the `icefloe` package (that lives in another virtualenv).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("icefloe.spark")

CATALOG = "icefloe"
SQL_ROOT = Path(os.environ.get("ICEFLOE_SQL_DIR", Path(__file__).resolve().parents[2] / "sql"))


@dataclass(frozen=True)
class SparkSettings:
    """The slice of the `ICEFLOE_` contract a Spark job reads."""

    catalog_uri: str
    catalog_warehouse: str
    catalog_sigv4: bool
    s3_endpoint: str | None
    s3_path_style: bool
    s3_access_key_id: str | None
    s3_secret_access_key: str | None
    region: str
    jars: tuple[str, ...]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SparkSettings:
        env = dict(os.environ if env is None else env)
        try:
            uri = env["ICEFLOE_CATALOG_URI"]
        except KeyError:
            raise SystemExit("ICEFLOE_CATALOG_URI is not set: run the job with `icefloe spark run` "
                             "or source the profile (.icefloe/profile.env)") from None
        return cls(
            catalog_uri=uri,
            catalog_warehouse=env.get("ICEFLOE_CATALOG_WAREHOUSE", "s3://icefloe-warehouse/"),
            catalog_sigv4=env.get("ICEFLOE_CATALOG_SIGV4", "false").lower() == "true",
            s3_endpoint=env.get("ICEFLOE_S3_ENDPOINT") or None,
            s3_path_style=env.get("ICEFLOE_S3_PATH_STYLE", "false").lower() == "true",
            s3_access_key_id=env.get("ICEFLOE_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("ICEFLOE_S3_SECRET_ACCESS_KEY") or None,
            region=env.get("ICEFLOE_REGION", "us-east-1"),
            jars=tuple(j for j in env.get("ICEFLOE_SPARK_JARS", "").split(",") if j),
        )

    def catalog_conf(self) -> dict[str, str]:
        p = f"spark.sql.catalog.{CATALOG}"
        conf = {
            p: "org.apache.iceberg.spark.SparkCatalog",
            f"{p}.type": "rest",
            f"{p}.uri": self.catalog_uri,
            f"{p}.warehouse": self.catalog_warehouse,
            f"{p}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
            f"{p}.client.region": self.region,
        }
        if self.s3_endpoint:
            conf[f"{p}.s3.endpoint"] = self.s3_endpoint
        if self.s3_path_style:
            conf[f"{p}.s3.path-style-access"] = "true"
        if self.s3_access_key_id and self.s3_secret_access_key:
            conf[f"{p}.s3.access-key-id"] = self.s3_access_key_id
            conf[f"{p}.s3.secret-access-key"] = self.s3_secret_access_key
        if self.catalog_sigv4:
            conf.update({f"{p}.rest.sigv4-enabled": "true", f"{p}.rest.signing-name": "glue",
                         f"{p}.rest.signing-region": self.region})
        return conf


def spark_session(app_name: str, settings: SparkSettings | None = None):
    from pyspark.sql import SparkSession

    settings = settings or SparkSettings.from_env()
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.extensions",
                "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.defaultCatalog", CATALOG)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("ICEFLOE_SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    log4j = Path(__file__).resolve().parent / "conf" / "log4j2.properties"
    if log4j.exists():  # keep the user's terminal readable: WARN and up only
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    if settings.jars:
        builder = builder.config("spark.jars", ",".join(settings.jars))
    if os.environ.get("ICEFLOE_SPARK_MASTER"):
        builder = builder.master(os.environ["ICEFLOE_SPARK_MASTER"])
    for key, value in settings.catalog_conf().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


@dataclass(frozen=True)
class LayerSql:
    """A `sql/NN_layer/<table>.sql` file: its DDL section and its TRANSFORM section."""

    path: Path
    ddl: str
    transform: str

    @classmethod
    def load(cls, layer: str, table: str) -> LayerSql:
        path = SQL_ROOT / layer / f"{table}.sql"
        text = path.read_text()
        sections = dict(_split_sections(text))
        if "DDL" not in sections:
            raise ValueError(f"{path}: no '-- ====  DDL' section")
        return cls(path, sections["DDL"].strip().rstrip(";"), sections.get("TRANSFORM", "").strip().rstrip(";"))


def _split_sections(text: str):
    parts = re.split(r"^--\s*====\s+([A-Z_]+)\s+=*\s*$", text, flags=re.M)
    for i in range(1, len(parts), 2):
        yield parts[i], parts[i + 1]
