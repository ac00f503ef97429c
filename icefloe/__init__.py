"""icefloe: a cloud-portable webhook lakehouse (Kafka, Flink, Iceberg, Spark, Trino/Athena).

The core package holds what every component shares: the `ICEFLOE_` configuration contract
(`icefloe.config`), the sources declaration (`icefloe.sources`) and the CLI (`icefloe.cli`).
The subsystems live in the repository's top-level folders and are mapped into this package:
`ingestion/` -> `icefloe.ingestion`, `local/` -> `icefloe.local`, `datagen/` -> `icefloe.datagen`.
"""

from pathlib import Path

__version__ = "0.1.0"

#: Root of the icefloe checkout (holds `sources.yaml`, `jobs/`, `sql/`, `local/`).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
