"""The sources declaration (`sources.yaml`): one entry per webhook stream.

Every component reads the same file: the ingestion API routes provider topics to Kafka topics,
the Flink runner builds one Kafka source and one raw table per entry, Terraform creates the topics,
and the tests check all of them against it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from icefloe import PROJECT_ROOT

SOURCES_FILE = PROJECT_ROOT / "sources.yaml"


@dataclass(frozen=True)
class Source:
    """One webhook stream: a provider's object type."""

    source: str
    object: str
    provider_topics: tuple[str, ...]
    id_path: str
    updated_at_path: str
    key_fields: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """`<source>_<object>`, the raw table's name inside the `raw` namespace."""
        return f"{self.source}_{self.object}"

    @property
    def topic(self) -> str:
        """The Kafka topic `<source>.<object>`."""
        return f"{self.source}.{self.object}"

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"


@dataclass(frozen=True)
class Provider:
    name: str
    signature: str
    delivery_id_header: str | None = None
    topic_header: str | None = None


@dataclass(frozen=True)
class SourceCatalog:
    """All declared sources, with the lookups the components need."""

    sources: tuple[Source, ...]
    providers: dict[str, Provider]
    dead_letter_topic: str

    def by_name(self, name: str) -> Source:
        """Find a source by `shopify_orders`, `shopify.orders` or `raw.shopify_orders`."""
        key = name.removeprefix("raw.").replace(".", "_")
        for s in self.sources:
            if s.name == key:
                return s
        known = ", ".join(s.name for s in self.sources)
        raise KeyError(f"unknown source {name!r}; sources.yaml declares: {known}")

    def route(self, provider: str, provider_topic: str) -> Source | None:
        """The source a provider topic / event type belongs to, or None (-> dead letter)."""
        for s in self.sources:
            if s.source == provider and provider_topic in s.provider_topics:
                return s
        return None

    @property
    def topics(self) -> list[str]:
        return [s.topic for s in self.sources]


@functools.cache
def load_sources(path: Path = SOURCES_FILE) -> SourceCatalog:
    """Parse and validate `sources.yaml`; a malformed file names the entry at fault."""
    doc = yaml.safe_load(path.read_text())
    providers = {
        name: Provider(name=name, **(spec or {})) for name, spec in doc.get("providers", {}).items()
    }
    sources = []
    for i, entry in enumerate(doc.get("sources", [])):
        try:
            src = Source(
                source=entry["source"],
                object=entry["object"],
                provider_topics=tuple(entry.get("provider_topics", ())),
                id_path=entry["id_path"],
                updated_at_path=entry["updated_at_path"],
                key_fields=dict(entry.get("key_fields") or {}),
            )
        except KeyError as exc:
            raise ValueError(f"{path}: sources[{i}] lacks required key {exc}") from exc
        if src.source not in providers:
            raise ValueError(f"{path}: sources[{i}] names provider {src.source!r}, not declared")
        sources.append(src)
    return SourceCatalog(tuple(sources), providers, doc["dead_letter_topic"])


_MISSING = object()


def extract(doc: object, path: str) -> object | None:
    """Evaluate a dotted JSONPath (`$.data.object.id`) against a parsed JSON document."""
    if not path.startswith("$"):
        raise ValueError(f"JSONPath must start with '$': {path!r}")
    node = doc
    for part in filter(None, path[1:].split(".")):
        if isinstance(node, dict):
            node = node.get(part, _MISSING)
        else:
            node = _MISSING
        if node is _MISSING:
            return None
    return node
