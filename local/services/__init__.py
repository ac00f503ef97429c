"""One module per service of the local stack; `ALL` is the start order."""

from icefloe.local.services.api import IngestionApi
from icefloe.local.services.base import Service
from icefloe.local.services.catalog import IcebergRestCatalog
from icefloe.local.services.kafka import Kafka
from icefloe.local.services.object_store import ObjectStore
from icefloe.local.services.postgres import Postgres

ALL: tuple[type[Service], ...] = (Postgres, ObjectStore, Kafka, IcebergRestCatalog, IngestionApi)

__all__ = ["ALL", "Service", "Postgres", "ObjectStore", "Kafka", "IcebergRestCatalog", "IngestionApi"]
