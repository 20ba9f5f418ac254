"""refservice/cache.py: LRU with TTL counts evictions and expirations; the null cache misses."""

from __future__ import annotations

import asyncio

from loadplan.refservice.cache import CacheStats, LruCache, NullCache


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lru_evicts_least_recently_used_and_counts_it() -> None:
    async def scenario() -> None:
        cache = LruCache(maxsize=2, ttl=60, timer=Timer())
        await cache.set("a", b"1")
        await cache.set("b", b"2")
        assert await cache.get("a") == b"1"  # a is now more recent than b
        await cache.set("c", b"3")
        assert await cache.get("b") is None
        assert await cache.get("a") == b"1"
        assert await cache.stats() == CacheStats(size=2, evictions=1, expirations=0)

    asyncio.run(scenario())


def test_lru_entries_expire_after_ttl_and_are_counted() -> None:
    async def scenario() -> None:
        timer = Timer()
        cache = LruCache(maxsize=10, ttl=5, timer=timer)
        await cache.set("a", b"1")
        timer.now = 4.9
        assert await cache.get("a") == b"1"
        timer.now = 5.0
        assert await cache.get("a") is None
        assert await cache.stats() == CacheStats(size=0, evictions=0, expirations=1)

    asyncio.run(scenario())


def test_flush_empties_and_reports_count() -> None:
    async def scenario() -> None:
        cache = LruCache(maxsize=10, ttl=5, timer=Timer())
        for key in "abc":
            await cache.set(key, b"x")
        assert await cache.flush() == 3
        assert (await cache.stats()).size == 0

    asyncio.run(scenario())


def test_null_cache_always_misses() -> None:
    async def scenario() -> None:
        cache = NullCache()
        await cache.set("a", b"1")
        assert await cache.get("a") is None
        assert await cache.flush() == 0

    asyncio.run(scenario())
