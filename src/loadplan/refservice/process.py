"""One process of the reference service: what its app needs, its uvicorn server, its signals.

Both ways of serving use these: ``server.serve`` in one process, ``workers.run_workers`` in
each of N worker processes. They live apart from both so neither imports the other's module.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType

import uvicorn

from loadplan.refservice.app import AppParts, create_app
from loadplan.refservice.cache import Cache, LruCache, NullCache
from loadplan.refservice.config import ServiceConfig
from loadplan.refservice.faults import FaultDice
from loadplan.refservice.index import SearchIndex
from loadplan.refservice.metrics import ServiceMetrics


def make_parts(config: ServiceConfig, index_path: Path, worker: int = 0) -> AppParts:
    """Open the index and the cache and make the metrics: everything one app process needs."""
    index = SearchIndex(index_path)
    cache: Cache
    if config.cache.kind == "redis" and config.cache.url:
        from loadplan.refservice.redis_cache import RedisCache

        cache = RedisCache(config.cache.url, config.cache.ttl, namespace=index.fingerprint)
    elif config.cache.kind == "lru":
        cache = LruCache(config.cache.size, config.cache.ttl)
    else:
        cache = NullCache()
    return AppParts(
        config=config,
        index=index,
        cache=cache,
        metrics=ServiceMetrics(index.counts),
        # Each worker rolls its own dice: the same stream in every process would fail in step.
        dice=FaultDice(config.faults, seed=config.seed + worker),
    )


class ReadyServer(uvicorn.Server):
    """uvicorn's Server, calling ``on_ready`` once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


def uvicorn_config(parts: AppParts, *, quiet_logging: bool = False) -> uvicorn.Config:
    """uvloop + httptools; no access log and no proxy-header rewriting.

    Both cost CPU on every request (the proxy-header middleware measured 17 us of a cache hit's
    206 us); the service is reached directly, never through a proxy that sets X-Forwarded-For.
    """
    return uvicorn.Config(
        create_app(parts),
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        log_config=None if quiet_logging else uvicorn.config.LOGGING_CONFIG,
    )


class _Stop(BaseException):
    """Raised by the signal handler while starting, to abandon the build and exit cleanly."""


class StopSignals:
    """SIGTERM/SIGINT handling for a blocking serve, installed only while it runs.

    Before serving, a signal abandons the start (raises ``_Stop``). While uvicorn serves it owns
    the signals and shuts down gracefully; afterwards it re-raises the signal it caught, which
    lands here and is only recorded, so the process exits 0 instead of dying by the signal.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.serving = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal.signal returned
        return isinstance(exc, _Stop)

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        self.received = sig
        if not self.serving:
            raise _Stop
