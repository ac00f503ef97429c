"""The Apache Iceberg REST catalog server (`org.apache.iceberg.rest.RESTCatalogServer`, the
server behind Iceberg's own `iceberg-rest-fixture` image) from Maven Central jars, on a JDBC
catalog in PostgreSQL, with S3FileIO on the local object store (path-style).

The server maps every `CATALOG_*` environment variable to a catalog property (drop the prefix,
`__` -> `-`, `_` -> `.`, lower-case). It binds all interfaces; the port is `CATALOG_REST_PORT`.
"""

from __future__ import annotations

import os

from icefloe.config import LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY
from icefloe.local.fetch import find_java, maven_jars
from icefloe.local.services.base import Service, http_health
from icefloe.local.services.postgres import DATABASE, USER


class IcebergRestCatalog(Service):
    name = "catalog"
    description = "Iceberg REST catalog 1.11 (JDBC on PostgreSQL, S3FileIO)"
    start_timeout = 60.0

    @property
    def ports(self) -> dict[str, int]:
        return {"http": self.stack.catalog_port}

    def fetch(self) -> None:
        self.java = find_java(self.stack.java_home)
        self.classpath = ":".join(str(j) for j in maven_jars("catalog", self.stack.cache_dir))

    def argv(self) -> list[str]:
        return [str(self.java), "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                # the server logs its whole configuration (secrets included) at INFO
                "-Dorg.slf4j.simpleLogger.log.org.apache.iceberg.rest.RESTCatalogServer=warn",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", self.classpath, "org.apache.iceberg.rest.RESTCatalogServer"]

    def env(self) -> dict[str, str]:
        s = self.stack
        return {
            **os.environ,
            "CATALOG_REST_PORT": str(s.catalog_port),
            "CATALOG_CATALOG__IMPL": "org.apache.iceberg.jdbc.JdbcCatalog",
            "CATALOG_URI": f"jdbc:postgresql://{s.host}:{s.postgres_port}/{DATABASE}",
            "CATALOG_JDBC_USER": USER,
            "CATALOG_JDBC_PASSWORD": "",
            "CATALOG_JDBC_SCHEMA__VERSION": "V1",
            "CATALOG_WAREHOUSE": "s3://icefloe-warehouse/",
            "CATALOG_IO__IMPL": "org.apache.iceberg.aws.s3.S3FileIO",
            "CATALOG_S3_ENDPOINT": f"http://{s.host}:{s.s3_port}",
            "CATALOG_S3_PATH__STYLE__ACCESS": "true",
            "CATALOG_S3_ACCESS__KEY__ID": LOCAL_S3_ACCESS_KEY,
            "CATALOG_S3_SECRET__ACCESS__KEY": LOCAL_S3_SECRET_KEY,
            "CATALOG_CLIENT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }

    def health(self) -> str | None:
        return http_health(f"http://{self.stack.host}:{self.stack.catalog_port}/v1/config")
