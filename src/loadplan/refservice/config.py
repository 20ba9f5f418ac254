"""Settings of the reference service, validated once, as one frozen value.

The CLI hands raw option text to ``parse_config``; everything below it receives a
``ServiceConfig`` and never re-checks. Every problem found becomes one line of a ``PlanError``
naming the option, the value given and the fix, and all problems are reported together.

Example::

    config = parse_config(port=0, docs=2000, cache="lru", added_latency="20ms:5ms")
    capped = parse_config(port=0, added_latency="40ms", max_concurrency=8)  # ~200 req/s
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loadplan.errors import PlanError
from loadplan.languages import SCRIPTS
from loadplan.refservice.corpus import CorpusSpec
from loadplan.units import format_duration, parse_duration

CacheKind = Literal["lru", "none", "redis"]
_Bad = Callable[[str, object, str], None]
_Duration = Callable[[str, str], float]

MAX_QUERY_CHARS = 512
MAX_LIMIT = 100
MAX_CONCURRENCY = 100_000


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Misbehaviour to inject into ``/search`` answers, so a load test meets known trouble.

    Attributes:
        added_latency: seconds added to every answer.
        added_jitter: the added latency varies uniformly within +/- this many seconds.
        error_rate: fraction of answers replaced by a 500.
        stall_every: a stall window opens every this many seconds (0 = never).
        stall_for: seconds each stall window lasts; requests arriving in it wait for its end.
        slow_fraction: fraction of answers delayed by ``slow_latency`` on top of everything else.
        slow_latency: seconds a slow answer is delayed.
    """

    added_latency: float = 0.0
    added_jitter: float = 0.0
    error_rate: float = 0.0
    stall_every: float = 0.0
    stall_for: float = 0.0
    slow_fraction: float = 0.0
    slow_latency: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.added_latency or self.error_rate or self.stall_every or self.slow_fraction)

    def describe(self) -> str:
        """One line for the startup banner."""
        parts = []
        if self.added_latency:
            jitter = f" +/- {format_duration(self.added_jitter)}" if self.added_jitter else ""
            parts.append(f"added latency {format_duration(self.added_latency)}{jitter}")
        if self.error_rate:
            parts.append(f"error rate {self.error_rate:g}")
        if self.stall_every:
            every, length = format_duration(self.stall_every), format_duration(self.stall_for)
            parts.append(f"stall {length} every {every}")
        if self.slow_fraction:
            parts.append(f"{self.slow_fraction:g} slow by {format_duration(self.slow_latency)}")
        return ", ".join(parts) or "none"


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """Which result cache to use.

    Attributes:
        kind: ``lru`` (in-process, LRU with TTL), ``none``, or ``redis``.
        url: the ``redis://HOST:PORT/DB`` URL when ``kind`` is ``redis``.
        size: most entries the in-process cache holds.
        ttl: seconds an entry lives.
    """

    kind: CacheKind = "lru"
    url: str | None = None
    size: int = 10_000
    ttl: float = 300.0

    def describe(self) -> str:
        if self.kind == "lru":
            return f"lru ({self.size} entries, ttl {format_duration(self.ttl)})"
        if self.kind == "redis":
            return f"redis {self.url} (ttl {format_duration(self.ttl)})"
        return "none"


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything the reference service needs to start.

    Attributes:
        host, port: where to listen; port 0 picks a free port.
        docs: corpus size, split evenly across ``languages``.
        seed: seeds the corpus and the fault dice.
        languages: ISO 639-1 codes served.
        cache: the result cache.
        workers: server processes sharing the listening socket.
        data_dir: keep the index here and reuse it across restarts (None: a temp dir).
        admin_token: bearer token for ``POST /admin/cache/flush`` (None: flush disabled).
        faults: misbehaviour to inject.
        query_threads: run index queries on this many threads (0: inline on the event loop).
            Inline by default: on one core, with the cache at its steady hit rate, inline served
            more requests (1,859-1,959 vs 1,433-1,836 req/s) with a lower P99 (21-22 vs
            33-104 ms) than 2 threads; the hand-off and the GIL's switch interval cost more
            than the blocking they avoid. With every request a miss, threads halve the P99.9 at
            the same throughput (docs/performance/reference-service.md).
        max_concurrency: at most this many ``/search`` requests are served at once per process,
            the others wait in arrival order (None: no cap). With ``faults.added_latency`` d
            the process's capacity is about ``max_concurrency / d`` requests per second.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    docs: int = 50_000
    seed: int = 42
    languages: tuple[str, ...] = field(default_factory=lambda: tuple(SCRIPTS))
    cache: CacheConfig = field(default_factory=CacheConfig)
    workers: int = 1
    data_dir: Path | None = None
    admin_token: str | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    query_threads: int = 0
    max_concurrency: int | None = None

    def corpus(self) -> CorpusSpec:
        return CorpusSpec(docs=self.docs, seed=self.seed, languages=self.languages)


def parse_config(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    docs: int = 50_000,
    cache: str = "lru",
    cache_size: int = 10_000,
    cache_ttl: str | float = "300s",
    workers: int = 1,
    seed: int = 42,
    data_dir: str | Path | None = None,
    admin_token: str | None = None,
    added_latency: str | None = None,
    error_rate: float = 0.0,
    stall_every: str | None = None,
    stall_for: str | None = None,
    slow_fraction: str | None = None,
    query_threads: int = 0,
    languages: str | None = None,
    max_concurrency: int | None = None,
) -> ServiceConfig:
    """Validate option values as typed on the command line; raise PlanError naming all problems."""
    problems: list[str] = []

    def bad(option: str, value: object, fix: str) -> None:
        problems.append(f"{option} = {value!r}: {fix}")

    def duration(option: str, text: str) -> float:
        try:
            return parse_duration(text, what=option)
        except ValueError as exc:
            problems.append(str(exc))
            return 0.0

    if not 0 <= port <= 65535:
        bad("--port", port, "use 1-65535, or 0 for any free port")
    langs = tuple(SCRIPTS) if languages is None else tuple(languages.replace(",", " ").split())
    unknown = [lang for lang in langs if lang not in SCRIPTS]
    if unknown or not langs:
        bad("--languages", languages, f"use codes from {', '.join(SCRIPTS)}, comma-separated")
        langs = tuple(SCRIPTS)
    if not len(langs) <= docs <= 10_000_000:
        bad("--docs", docs, f"use {len(langs)} (one per language) to 10000000")
    cache_config = _cache(cache, cache_size, bad)
    ttl = duration("--cache-ttl", str(cache_ttl))
    if ttl <= 0 and not any(p.startswith("--cache-ttl") for p in problems):
        bad("--cache-ttl", cache_ttl, "must be > 0, e.g. 300s")
    if not 1 <= workers <= 64:
        bad("--workers", workers, "use 1-64 worker processes")
    if not 0 <= query_threads <= 64:
        bad("--query-threads", query_threads, "use 0 (inline) to 64")
    if max_concurrency is not None and not 1 <= max_concurrency <= MAX_CONCURRENCY:
        bad(
            "--max-concurrency",
            max_concurrency,
            f"use 1-{MAX_CONCURRENCY} requests at once, or leave it out for no cap",
        )
    if admin_token is not None and not admin_token.strip():
        bad("--admin-token", admin_token, "give a non-empty token, or leave it out to disable")
    faults = _faults(
        added_latency, error_rate, stall_every, stall_for, slow_fraction, bad, duration
    )
    if problems:
        raise PlanError(problems)
    return ServiceConfig(
        host=host,
        port=port,
        docs=docs,
        seed=seed,
        languages=langs,
        cache=CacheConfig(
            kind=cache_config[0], url=cache_config[1], size=cache_size, ttl=max(ttl, 1e-3)
        ),
        workers=workers,
        data_dir=Path(data_dir) if data_dir is not None else None,
        admin_token=admin_token,
        faults=faults,
        query_threads=query_threads,
        max_concurrency=max_concurrency,
    )


def _cache(text: str, size: int, bad: _Bad) -> tuple[CacheKind, str | None]:
    if size < 1:
        bad("--cache-size", size, "must be >= 1 entries")
    if text in ("lru", "none"):
        return ("lru" if text == "lru" else "none"), None
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme != "redis":
        bad("--cache", text, "use lru, none, or redis://HOST:PORT/DB")
        return "lru", None
    try:
        port = parsed.port
    except ValueError:
        port = -1
    db = parsed.path.lstrip("/")
    if not parsed.hostname or port == -1 or (db and not db.isdigit()):
        bad(
            "--cache",
            text,
            "write a Redis URL as redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0",
        )
    return "redis", text


def _faults(
    added_latency: str | None,
    error_rate: float,
    stall_every: str | None,
    stall_for: str | None,
    slow_fraction: str | None,
    bad: _Bad,
    duration: _Duration,
) -> FaultConfig:
    latency = jitter = 0.0
    if added_latency:
        base, _, spread = added_latency.partition(":")
        latency = duration("--added-latency", base)
        jitter = duration("--added-latency jitter", spread) if spread else 0.0
        if jitter > latency:
            bad(
                "--added-latency",
                added_latency,
                "jitter must not exceed the latency, e.g. 20ms:5ms",
            )
    if not 0.0 <= error_rate <= 1.0:
        bad("--error-rate", error_rate, "use a fraction from 0 to 1, e.g. 0.01")
    every = duration("--stall-every", stall_every) if stall_every else 0.0
    length = duration("--stall-for", stall_for) if stall_for else 0.0
    if bool(stall_every) != bool(stall_for):
        given = "--stall-every" if stall_every else "--stall-for"
        bad(
            given,
            stall_every or stall_for,
            "give both --stall-every and --stall-for, e.g. 30s and 1s",
        )
    elif stall_every and not 0 < length < every:
        bad("--stall-for", stall_for, f"must be > 0 and shorter than --stall-every ({stall_every})")
    fraction = slow = 0.0
    if slow_fraction:
        share, _, delay = slow_fraction.partition(":")
        try:
            fraction = float(share)
        except ValueError:
            fraction = -1.0
        if not 0.0 <= fraction <= 1.0 or not delay:
            bad("--slow-fraction", slow_fraction, "write FRACTION:DELAY, e.g. 0.05:500ms")
            fraction = 0.0
        else:
            slow = duration("--slow-fraction delay", delay)
    return FaultConfig(
        added_latency=latency,
        added_jitter=jitter,
        error_rate=error_rate,
        stall_every=every,
        stall_for=length,
        slow_fraction=fraction,
        slow_latency=slow,
    )
