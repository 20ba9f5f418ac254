"""Result caches behind one small protocol: in-process LRU with TTL, Redis, or none.

The service caches the encoded JSON of a result (bytes), so a hit costs a lookup and a copy,
and a miss costs a real index query. That contrast is what makes the hit rate move latency and
capacity in a load test.

A cache that fails (Redis gone) raises ``CacheUnavailable``; the app then answers from the
index without the cache and counts the bypass. Redis is imported only when a redis:// URL is
given (``redis_cache.py``), so the default path never loads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache


class CacheUnavailable(Exception):  # noqa: N818 - a state the app handles, not a failure it reports
    """The cache could not be used for this request; answer without it."""


@dataclass(frozen=True, slots=True)
class CacheStats:
    """What a cache reports for /metrics.

    Attributes:
        size: entries held now.
        evictions: entries dropped to make room, since start.
        expirations: entries dropped because their TTL ran out, since start.
    """

    size: int
    evictions: int
    expirations: int


class Cache(Protocol):
    """What the app needs from a result cache."""

    kind: str

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None on a miss; raises CacheUnavailable if the cache failed."""
        ...

    async def set(self, key: str, value: bytes) -> None:
        """Store ``value``; raises CacheUnavailable if the cache failed."""
        ...

    async def flush(self) -> int:
        """Drop every entry; return how many were dropped."""
        ...

    async def stats(self) -> CacheStats:
        """Size and eviction counts; raises CacheUnavailable if the cache failed."""
        ...

    @property
    def healthy(self) -> bool:
        """False while the cache is known to be failing."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class _CountingTTLCache(TTLCache[str, bytes]):
    """cachetools' LRU+TTL cache, counting what it drops and why."""

    def __init__(self, maxsize: int, ttl: float, timer: Callable[[], float]) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl, timer=timer)
        self.evictions = 0
        self.expirations = 0

    def popitem(self) -> tuple[str, bytes]:
        # cachetools calls popitem only to make room for a new entry: that is an eviction.
        item = super().popitem()
        self.evictions += 1
        return item

    def expire(self, time: float | None = None) -> list[tuple[str, bytes]]:
        expired = list(super().expire(time))
        self.expirations += len(expired)
        return expired


class LruCache:
    """In-process LRU cache whose entries also expire after ``ttl`` seconds.

    Example::

        cache = LruCache(maxsize=10_000, ttl=300.0)
        await cache.set("en|10|weather", b'...')
    """

    kind = "lru"

    def __init__(
        self, maxsize: int, ttl: float, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries = _CountingTTLCache(maxsize, ttl, timer)

    async def get(self, key: str) -> bytes | None:
        return self._entries.get(key)

    async def set(self, key: str, value: bytes) -> None:
        self._entries[key] = value

    async def flush(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count

    async def stats(self) -> CacheStats:
        size = len(self._entries)  # len() first: it expires what is due, counting it
        return CacheStats(size, self._entries.evictions, self._entries.expirations)

    @property
    def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        self._entries.clear()


class NullCache:
    """No cache: every lookup misses, so every request does index work."""

    kind = "none"

    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, value: bytes) -> None:
        return None

    async def flush(self) -> int:
        return 0

    async def stats(self) -> CacheStats:
        return CacheStats(0, 0, 0)

    @property
    def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None
