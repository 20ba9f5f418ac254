"""The result cache in Redis, shared by every service process pointed at the same URL.

Redis is an optional integration and loads lazily: this module is imported only when a
``redis://`` URL is configured.

Failure handling is the point of this module. Redis going away must never fail a search: a
failed call raises ``CacheUnavailable`` (the app answers from the index and counts the bypass),
and for ``retry_after`` seconds afterwards calls fail at once instead of waiting on a dead
socket. After that one request tries again, so the cache comes back by itself when Redis does.
A failure also closes the pool's idle connections: after a restart none of the dead ones is
left to fail again (and mark the cache down again) once Redis answers.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from loadplan.refservice.cache import CacheStats, CacheUnavailable
from loadplan.refservice.errors import ServiceStartError

_KEY_PREFIX = "loadplan:refservice"
_TIMEOUT = 0.5
"""Seconds to wait on Redis (connect or reply) before bypassing it; on loopback it answers in
well under a millisecond, so this only trips when Redis is really gone or stuck."""


def check_reachable(url: str) -> None:
    """Raise ServiceStartError, in one line, unless Redis at ``url`` answers PING."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        msg = (
            f"--cache {url}: Redis is not reachable ({exc}); start redis-server there, "
            "or use --cache lru"
        )
        raise ServiceStartError(msg) from None
    finally:
        client.close()


class RedisCache:
    """Entries as Redis strings with a TTL, under a key prefix naming the index they came from.

    The prefix carries the index fingerprint: processes serving the same corpus share entries,
    and a process serving another corpus cannot read wrong results from the same Redis.
    """

    kind = "redis"

    def __init__(
        self,
        url: str,
        ttl: float,
        namespace: str,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._redis_error: type[Exception] = redis.RedisError
        # No retries: a retry waits on a dead server while the request waits on the retry.
        self._client = redis.asyncio.Redis.from_url(
            url,
            socket_connect_timeout=_TIMEOUT,
            socket_timeout=_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._ttl_ms = max(1, round(ttl * 1000))
        self._prefix = f"{_KEY_PREFIX}:{namespace}:"
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0

    @property
    def healthy(self) -> bool:
        return self._clock() >= self._down_until

    def _check(self) -> None:
        if self._clock() < self._down_until:
            msg = "redis marked down"
            raise CacheUnavailable(msg)

    def _failed(self, exc: Exception) -> CacheUnavailable:
        self._down_until = self._clock() + self._retry_after
        return CacheUnavailable(f"redis: {exc}")

    async def _drop_idle(self) -> None:
        """Close every idle pooled connection after a failure.

        A Redis that died (or restarted) left each pooled socket dead, but a socket only says
        so when it is used, and the pool hands them out last-in first-out: the one request a
        second that tries again during an outage reuses the same one, and the rest wait in the
        pool. Once Redis was back, each of them failed when traffic next reached it, and each
        failure marked the cache down for another ``retry_after``: seconds of BYPASS with
        Redis up. Closed now, they reconnect when next used. Connections in use close
        themselves when their call fails.
        """
        with contextlib.suppress(Exception):  # closing a dead socket may fail; it is closed
            await self._client.connection_pool.disconnect(inuse_connections=False)

    async def _failure(self, exc: Exception) -> CacheUnavailable:
        unavailable = self._failed(exc)  # marked down first: meanwhile others bypass at once
        await self._drop_idle()
        return unavailable

    async def get(self, key: str) -> bytes | None:
        self._check()
        try:
            value = await self._client.get(self._prefix + key)
        except (self._redis_error, OSError) as exc:
            raise await self._failure(exc) from None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes) -> None:
        self._check()
        try:
            await self._client.set(self._prefix + key, value, px=self._ttl_ms)
        except (self._redis_error, OSError) as exc:
            raise await self._failure(exc) from None

    async def flush(self) -> int:
        """Delete this namespace's keys only: the Redis database may hold other things."""
        self._check()
        count = 0
        try:
            batch: list[bytes] = []
            async for key in self._client.scan_iter(match=self._prefix + "*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    count += await self._client.unlink(*batch)
                    batch = []
            if batch:
                count += await self._client.unlink(*batch)
        except (self._redis_error, OSError) as exc:
            raise await self._failure(exc) from None
        return count

    async def stats(self) -> CacheStats:
        """Server-wide figures: DBSIZE of the database, and Redis's own eviction counters."""
        self._check()
        try:
            size = await self._client.dbsize()
            info = await self._client.info("stats")
        except (self._redis_error, OSError) as exc:
            raise await self._failure(exc) from None
        return CacheStats(
            size=int(size),
            evictions=int(info.get("evicted_keys", 0)),
            expirations=int(info.get("expired_keys", 0)),
        )

    async def close(self) -> None:
        await self._client.aclose()
