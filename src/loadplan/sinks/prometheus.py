"""Live Prometheus metrics of a run: a ``Sink`` that serves what the coordinator merges each second.

The coordinator already holds one exact, merged HdrHistogram per second, so nothing is observed
per request here: each second ``update`` adds that histogram's counts at or below every bucket
bound to a cumulative Prometheus histogram (one numpy pass over the counts, about 0.2 ms), and
swaps in a new frozen ``_State``. Scrapes run in prometheus-client's server thread and read
whichever state is current; replacing one reference is atomic, so there is no lock to contend.

Names (a registry of its own, so nothing from the process's default registry leaks in)::

    loadplan_requests_total{outcome}           completed requests by outcome class (ok, timeout...)
    loadplan_requests_due_total                requests the schedule made due (offered load)
    loadplan_requests_sent_total               requests written to the wire
    loadplan_request_latency_seconds           histogram, from intended send (CO-correct)
    loadplan_tagged_requests_total{tag,value}  latency records per tag value (lang, x-cache, ...)
    loadplan_offered_rps, loadplan_achieved_rps   last second's due and completed per second
    loadplan_inflight                          most requests in flight during the last second
    loadplan_backlog                           requests due but not yet sent
    loadplan_schedule_lag_p99_seconds          last second's schedule-lag P99
    loadplan_generator_cpu_ratio               the busiest worker's CPU (1.0 = a core)
    loadplan_generator_off_cpu_ratio{cause}    share of the last second a worker wanted a CPU and
                                               had none: waited (other processes), stolen (host)
    loadplan_elapsed_seconds                   end of the last merged second
    loadplan_stage_info{stage}                 the current stage

Example::

    exporter = PrometheusExporter(port=9464)
    exporter.start()          # when the run starts
    execute(plan, run_dir, meta, sinks=[exporter])
    exporter.stop()           # when it ends
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from loadplan.engine.request import ErrorClass
from loadplan.errors import PlanError
from loadplan.results.histogram import counts_at_or_below, percentiles_ms, total_us
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot, parse_tag_key

DEFAULT_BUCKETS_MS = (5, 10, 25, 50, 100, 200, 250, 300, 400, 500, 750, 1000, 2500, 5000, 10000)
"""Dense around typical SLA bounds (250-500 ms) so histogram_quantile is sharp where it matters."""

PREFIX = "loadplan_"
LATENCY = PREFIX + "request_latency_seconds"
REQUESTS = PREFIX + "requests"
DUE = PREFIX + "requests_due"
SENT = PREFIX + "requests_sent"
TAGGED = PREFIX + "tagged_requests"
OFFERED = PREFIX + "offered_rps"
ACHIEVED = PREFIX + "achieved_rps"
INFLIGHT = PREFIX + "inflight"
BACKLOG = PREFIX + "backlog"
LAG_P99 = PREFIX + "schedule_lag_p99_seconds"
CPU = PREFIX + "generator_cpu_ratio"
OFF_CPU = PREFIX + "generator_off_cpu_ratio"
ELAPSED = PREFIX + "elapsed_seconds"
STAGE = PREFIX + "stage"


@dataclass(frozen=True, slots=True)
class _State:
    """Everything one scrape shows; replaced whole each second."""

    # Every class from the start, so rate() over any outcome has a series from the first scrape.
    outcomes: Mapping[str, int] = field(default_factory=lambda: {c.value: 0 for c in ErrorClass})
    due: int = 0
    sent: int = 0
    buckets: tuple[int, ...] = ()
    count: int = 0
    sum_s: float = 0.0
    tagged: Mapping[tuple[str, str], int] = field(default_factory=dict)
    offered_rps: float = 0.0
    achieved_rps: float = 0.0
    inflight: int = 0
    backlog: int = 0
    lag_p99_s: float = 0.0
    cpu: float = 0.0
    waited: float = 0.0
    stolen: float = 0.0
    elapsed_s: float = 0.0
    stage: str = ""


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class _Collector(Collector):
    def __init__(self, exporter: PrometheusExporter) -> None:
        self._exporter = exporter

    def collect(self) -> Iterable[Metric]:
        s = self._exporter.state  # one read: the state cannot change under this scrape
        bounds = self._exporter.bounds_s
        requests = CounterMetricFamily(
            REQUESTS, "Completed requests by outcome class.", labels=["outcome"]
        )
        for outcome, n in sorted(s.outcomes.items()):
            requests.add_metric([str(outcome)], n)
        tagged = CounterMetricFamily(
            TAGGED, "Latency records per tag value (answers and timeouts).", labels=["tag", "value"]
        )
        for (tag, value), n in sorted(s.tagged.items()):
            tagged.add_metric([tag, value], n)
        buckets = [
            (f"{b:g}", n) for b, n in zip(bounds, s.buckets or [0] * len(bounds), strict=True)
        ]
        yield requests
        yield CounterMetricFamily(DUE, "Requests the schedule made due.", value=s.due)
        yield CounterMetricFamily(SENT, "Requests written to the wire.", value=s.sent)
        yield HistogramMetricFamily(
            LATENCY,
            "Latency from each request's intended send time (coordinated-omission correct).",
            buckets=[*buckets, ("+Inf", s.count)],
            sum_value=s.sum_s,
        )
        yield tagged
        yield _gauge(OFFERED, "Requests made due in the last second, per second.", s.offered_rps)
        yield _gauge(ACHIEVED, "Requests completed in the last second, per second.", s.achieved_rps)
        yield _gauge(INFLIGHT, "Most requests in flight during the last second.", s.inflight)
        yield _gauge(
            BACKLOG, "Requests due but not yet sent (waiting for a connection).", s.backlog
        )
        yield _gauge(LAG_P99, "Schedule lag P99 over the last second.", s.lag_p99_s)
        yield _gauge(CPU, "The busiest worker's CPU over the last second (1 = a core).", s.cpu)
        off_cpu = GaugeMetricFamily(
            OFF_CPU,
            "Share of the last second the worst-placed worker waited for a CPU, by cause.",
            labels=["cause"],
        )
        off_cpu.add_metric(["waited"], s.waited)
        off_cpu.add_metric(["stolen"], s.stolen)
        yield off_cpu
        yield _gauge(
            ELAPSED, "Seconds from the run's start to the last merged second.", s.elapsed_s
        )
        if s.stage:
            yield InfoMetricFamily(STAGE, "The stage the run is in.", value={"stage": s.stage})


class PrometheusExporter:
    """A ``Sink`` serving the run's live metrics at ``http://HOST:PORT/metrics``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bounds_ms: Sequence[float] = DEFAULT_BUCKETS_MS,
    ) -> None:
        self.host, self.port = host, port
        self.bounds_ms = tuple(sorted(set(bounds_ms)))
        self.bounds_s = tuple(b / 1000 for b in self.bounds_ms)
        self._bounds_us = [round(b * 1000) for b in self.bounds_ms]
        self.state = _State(buckets=(0,) * len(self.bounds_ms))
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(self))
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def check_port(self) -> None:
        """Fail before any load is sent when the port cannot be had (PlanError names the fix)."""
        if self.port == 0:
            return
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            with socket.create_server((self.host, self.port), family=family):
                pass
        except OSError as exc:
            raise self._port_error(exc) from None

    def _port_error(self, exc: OSError) -> PlanError:
        # socket.create_server appends the address to strerror; the errno's own text is enough.
        reason = (os.strerror(exc.errno) if exc.errno else type(exc).__name__).lower()
        return PlanError(
            f"--metrics-port {self.port}: cannot listen on {self.host}:{self.port} ({reason}); "
            "choose another port, or 0 for any free one"
        )

    def start(self) -> str:
        """Start serving in a daemon thread; return the metrics URL (with the real port)."""
        try:
            self._server, self._thread = start_http_server(
                self.port, self.host, registry=self.registry
            )
        except OSError as exc:
            raise self._port_error(exc) from None
        self.port = int(self._server.server_port)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def update(self, snap: IntervalSnapshot, totals: RunTotals) -> None:
        old = self.state
        outcomes = dict(old.outcomes)
        for outcome, n in snap.errors.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
        tagged = dict(old.tagged)
        for key, hist in snap.tags.items():
            for pair in parse_tag_key(key).items():
                tagged[pair] = tagged.get(pair, 0) + hist.get_total_count()
        below = counts_at_or_below(snap.latency, self._bounds_us)
        duration = snap.duration_s
        cpu, (waited, stolen) = snap.busiest_worker()
        self.state = _State(
            outcomes=outcomes,
            due=old.due + snap.due,
            sent=old.sent + snap.sent,
            buckets=tuple(a + int(b) for a, b in zip(old.buckets, below, strict=True)),
            count=old.count + snap.latency.get_total_count(),
            sum_s=old.sum_s + total_us(snap.latency) / 1e6,
            tagged=tagged,
            offered_rps=snap.due / duration,
            achieved_rps=snap.completed / duration,
            inflight=snap.inflight_max,
            backlog=snap.backlog,
            lag_p99_s=percentiles_ms(snap.lag, (99,)).get("p99", 0.0) / 1000,
            cpu=cpu,
            waited=waited / duration,
            stolen=stolen / duration,
            elapsed_s=snap.end_s,
            stage=snap.stage,
        )
