"""sinks/prometheus.py: the run's live metrics, scraped over HTTP as Prometheus would."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loadplan.errors import PlanError
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.sinks.prometheus import PrometheusExporter

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def second(
    index: int, latencies_us: list[int], stage: str = "ramp", **kw: object
) -> IntervalSnapshot:
    latency = new_histogram()
    record_many(latency, latencies_us)
    lag = new_histogram()
    record_many(lag, [100] * 98 + [7000, 9000])
    hit, miss = new_histogram(), new_histogram()
    record_many(hit, latencies_us[:3])
    record_many(miss, latencies_us[3:])
    n = len(latencies_us)
    fields: dict[str, object] = {
        "index": index, "start_s": float(index), "end_s": index + 1.0, "stage": stage,
        "due": n + 1, "sent": n, "completed": n, "errors": {"ok": n - 1, "timeout": 1},
        "latency": latency, "lag": lag, "inflight_max": 7, "backlog": 2, "cpu": 0.5,
        "tags": {"lang=ja;x-cache=HIT": hit, "lang=en;x-cache=MISS": miss},
    }  # fmt: skip
    fields.update(kw)
    return IntervalSnapshot(**fields)  # type: ignore[arg-type]


def scrape(exporter: PrometheusExporter) -> Samples:
    with urllib.request.urlopen(exporter.url, timeout=5) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def exporter() -> Iterator[PrometheusExporter]:
    exp = PrometheusExporter(port=0, bounds_ms=(5, 10, 300))
    exp.start()
    yield exp
    exp.stop()


def test_before_the_first_second_every_series_exists_at_zero(exporter: PrometheusExporter) -> None:
    got = scrape(exporter)
    assert got["loadplan_requests_total", (("outcome", "ok"),)] == 0
    assert got["loadplan_requests_total", (("outcome", "timeout"),)] == 0
    assert got["loadplan_request_latency_seconds_bucket", (("le", "+Inf"),)] == 0
    assert ("loadplan_stage_info", (("stage", "ramp"),)) not in got


def test_counts_and_histogram_buckets_add_up_exactly(exporter: PrometheusExporter) -> None:
    first = [1000, 4000, 6000, 9_000, 299_000, 2_000_000]
    then = [2000, 2000, 11_000, 400_000]
    totals = RunTotals()
    exporter.update(second(0, first), totals)
    exporter.update(
        second(1, then, stage="sustained", inflight_max=3, waited=0.012, stolen=0.03), totals
    )
    got = scrape(exporter)
    both = np.array(first + then)
    for le, bound_us in (("0.005", 5000), ("0.01", 10_000), ("0.3", 300_000)):
        key = ("loadplan_request_latency_seconds_bucket", (("le", le),))
        assert got[key] == int((both <= bound_us).sum()), le
    assert got["loadplan_request_latency_seconds_bucket", (("le", "+Inf"),)] == 10
    assert got["loadplan_request_latency_seconds_count", ()] == 10
    assert got["loadplan_request_latency_seconds_sum", ()] == pytest.approx(both.sum() / 1e6, 1e-3)
    assert got["loadplan_requests_total", (("outcome", "ok"),)] == 5 + 3
    assert got["loadplan_requests_total", (("outcome", "timeout"),)] == 2
    assert got["loadplan_requests_due_total", ()] == 7 + 5
    assert got["loadplan_requests_sent_total", ()] == 10
    assert got["loadplan_tagged_requests_total", (("tag", "x-cache"), ("value", "HIT"))] == 6
    assert got["loadplan_tagged_requests_total", (("tag", "lang"), ("value", "en"))] == 4
    # Gauges show the last second.
    assert got["loadplan_offered_rps", ()] == 5
    assert got["loadplan_achieved_rps", ()] == 4
    assert got["loadplan_inflight", ()] == 3
    assert got["loadplan_backlog", ()] == 2
    assert got["loadplan_schedule_lag_p99_seconds", ()] == pytest.approx(0.007, rel=0.01)
    assert got["loadplan_generator_cpu_ratio", ()] == 0.5
    assert got["loadplan_generator_off_cpu_ratio", (("cause", "waited"),)] == pytest.approx(0.012)
    assert got["loadplan_generator_off_cpu_ratio", (("cause", "stolen"),)] == pytest.approx(0.03)
    assert got["loadplan_elapsed_seconds", ()] == 2.0
    assert got["loadplan_stage_info", (("stage", "sustained"),)] == 1
    assert ("loadplan_stage_info", (("stage", "ramp"),)) not in got


def test_a_taken_port_is_a_plan_error_before_any_load(free_port: int) -> None:
    with socket.create_server(("127.0.0.1", free_port)):
        exp = PrometheusExporter(port=free_port)
        with pytest.raises(PlanError, match=rf"--metrics-port {free_port}: cannot listen .*"
                           r"choose another port, or 0"):  # fmt: skip
            exp.check_port()
        with pytest.raises(PlanError, match="cannot listen"):
            exp.start()


def test_stop_releases_the_port(free_port: int) -> None:
    exp = PrometheusExporter(port=free_port)
    exp.check_port()
    assert exp.start() == f"http://127.0.0.1:{free_port}/metrics"
    exp.stop()
    with socket.create_server(("127.0.0.1", free_port)):
        pass
