"""A bounded, per-process memory of records Kafka already acknowledged.

Providers retry deliveries we answered 2xx too late (timeouts on their side) and sometimes send the
same event twice. When the same (provider, delivery id) comes back with the same bytes and this
process has already had it acknowledged, re-publishing it adds nothing: the record is durable. This
is an optimisation only: it forgets (LRU, per worker process, lost on restart), so downstream
deduplication by delivery id (staging keeps one row per delivery) remains the guarantee.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict


class RecentDeliveries:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    @staticmethod
    def digest(value: bytes) -> bytes:
        return hashlib.blake2b(value, digest_size=16).digest()

    def seen(self, provider: str, delivery_id: str, value: bytes) -> bool:
        """True when exactly these bytes under this delivery id were acknowledged before."""
        if self.capacity <= 0:
            return False
        key = (provider, delivery_id)
        known = self._seen.get(key)
        if known is None or known != self.digest(value):
            return False
        self._seen.move_to_end(key)
        return True

    def remember(self, provider: str, delivery_id: str, value: bytes) -> None:
        if self.capacity <= 0:
            return
        key = (provider, delivery_id)
        self._seen[key] = self.digest(value)
        self._seen.move_to_end(key)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)
