"""Reading whole Iceberg tables for comparisons (pyiceberg, no engine)."""

from __future__ import annotations

from collections import Counter

#: columns that differ between two builds of the same rows (when, not what)
AUDIT = frozenset({"_staged_at", "_built_at"})


def table_rows(catalog, table: str) -> Counter:
    """Every row of `table` but its audit columns, as a multiset."""
    t = catalog.load_table(table)
    cols = [f.name for f in t.schema().fields if f.name not in AUDIT]
    return Counter(tuple(r[c] for c in cols) for r in t.scan(selected_fields=tuple(cols)).to_arrow().to_pylist())
