"""Prometheus metrics of one service process, in a registry of its own.

A per-app ``CollectorRegistry`` (not the global default) lets several services run in one
process, as tests do, without their counts mixing or names colliding. With ``--workers N``
every process has its own registry, so a scrape of ``/metrics`` shows the figures of whichever
worker accepted the connection; sum a series over scrapes of each worker, or run one worker per
port, to see the whole service.

Names (all prefixed ``refservice_``)::

    requests_total{route,method,status}         answers sent
    request_duration_seconds{route,status}      histogram, arrival to last byte handed over
    cache_hits_total, cache_misses_total        lookups of /search (a bypass is also a miss)
    cache_bypassed_total                        requests answered without a failing cache
    cache_evictions_total{reason}               capacity | expired (Redis: server-wide)
    cache_size                                  entries (Redis: keys in the database)
    cache_up                                    1 while the cache answers
    index_documents{lang}                       documents per language
    faults_injected_total{kind}                 stall | latency | slow | error
    max_concurrency, inflight, queue_waiting    the /search cap, slots held, requests queued
                                                (only with --max-concurrency)
    process_*                                   CPU seconds, resident memory, start time
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from loadplan.refservice.cache import CacheStats
from loadplan.refservice.gate import ConcurrencyGate

ROUTES = frozenset({"/search", "/healthz", "/metrics", "/admin/cache/flush"})
"""Paths that get their own label value; anything else is counted as route="other", so a
scanner probing random URLs cannot blow up the series count."""

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _CacheCollector(Collector):
    """Reads the latest cache figures at scrape time (they live in the cache, not in counters)."""

    def __init__(self) -> None:
        self.stats = CacheStats(0, 0, 0)
        self.up = True

    def collect(self) -> Iterable[Metric]:
        size = GaugeMetricFamily("refservice_cache_size", "Entries in the result cache.")
        size.add_metric([], self.stats.size)
        evictions = CounterMetricFamily(
            "refservice_cache_evictions",
            "Entries dropped from the result cache, by reason.",
            labels=["reason"],
        )
        evictions.add_metric(["capacity"], self.stats.evictions)
        evictions.add_metric(["expired"], self.stats.expirations)
        up = GaugeMetricFamily("refservice_cache_up", "1 while the result cache answers.")
        up.add_metric([], 1.0 if self.up else 0.0)
        return [size, evictions, up]


class _GateCollector(Collector):
    """Reads a ``ConcurrencyGate`` at scrape time: its cap, slots held and requests queued."""

    def __init__(self, gate: ConcurrencyGate) -> None:
        self.gate = gate

    def collect(self) -> Iterable[Metric]:
        gate = self.gate
        figures = (
            (
                "max_concurrency",
                "Most /search requests served at once (--max-concurrency).",
                gate.limit,
            ),
            ("inflight", "/search requests holding a slot of the concurrency cap.", gate.inflight),
            (
                "queue_waiting",
                "/search requests queued for a slot, in arrival order.",
                gate.waiting,
            ),
        )
        for name, doc, value in figures:
            family = GaugeMetricFamily(f"refservice_{name}", doc)
            family.add_metric([], float(value))
            yield family


class ServiceMetrics:
    """The metrics of one app; ``observe`` is on the hot path and does two dict lookups."""

    def __init__(self, documents: Mapping[str, int]) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        reg = self.registry
        self._requests = Counter(
            "refservice_requests",
            "HTTP answers sent, by route, method and status.",
            ["route", "method", "status"],
            registry=reg,
        )
        self._latency = Histogram(
            "refservice_request_duration_seconds",
            "Time from request arrival to the last byte of the answer, by route and status.",
            ["route", "status"],
            buckets=_BUCKETS,
            registry=reg,
        )
        self.cache_hits = Counter(
            "refservice_cache_hits", "Searches answered from the cache.", registry=reg
        )
        self.cache_misses = Counter(
            "refservice_cache_misses",
            "Searches the cache did not answer (bypasses included).",
            registry=reg,
        )
        self.cache_bypassed = Counter(
            "refservice_cache_bypassed",
            "Searches answered without the cache because it failed (e.g. Redis down).",
            registry=reg,
        )
        self._faults = Counter(
            "refservice_faults_injected", "Faults applied to /search.", ["kind"], registry=reg
        )
        docs = Gauge(
            "refservice_index_documents", "Documents in the index.", ["lang"], registry=reg
        )
        for lang, count in documents.items():
            docs.labels(lang).set(count)
        self._cache = _CacheCollector()
        reg.register(self._cache)
        # Label lookups cost a lock and a tuple hash; the children for each seen combination
        # are kept here instead.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        key = (path, method, status)
        children = self._children.get(key)
        if children is None:
            route = path if path in ROUTES else "other"
            children = (
                self._requests.labels(route, method, str(status)),
                self._latency.labels(route, str(status)),
            )
            if len(self._children) < 1000:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def watch_gate(self, gate: ConcurrencyGate) -> None:
        """Expose the cap's figures; called once, by the app that owns the gate."""
        self.registry.register(_GateCollector(gate))

    def fault(self, kind: str) -> None:
        self._faults.labels(kind).inc()

    def set_cache(self, stats: CacheStats | None) -> None:
        """Record the cache's latest figures; None means it could not be asked."""
        self._cache.up = stats is not None
        if stats is not None:
            self._cache.stats = stats

    def render(self) -> bytes:
        return generate_latest(self.registry)
