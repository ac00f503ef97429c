"""One module per service of the local stack; `ALL` is the start order."""

from icefloe.local.services.api import IngestionApi
from icefloe.local.services.base import Service
from icefloe.local.services.catalog import IcebergRestCatalog
from icefloe.local.services.kafka import Kafka
from icefloe.local.services.object_store import ObjectStore
from icefloe.local.services.postgres import Postgres
from icefloe.local.services.trino import Trino

ALL: tuple[type[Service], ...] = (Postgres, ObjectStore, Kafka, IcebergRestCatalog, Trino, IngestionApi)

__all__ = ["ALL", "Service", "Postgres", "ObjectStore", "Kafka", "IcebergRestCatalog", "Trino", "IngestionApi"]
