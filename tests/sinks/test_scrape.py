"""Scraping Prometheus endpoints over real HTTP: the reference service's own /metrics text."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.refservice.metrics import ServiceMetrics
from loadplan.results.target_metrics import TargetMetrics
from loadplan.sinks.scrape import PROCESS_SERIES, Scraper, parse_exposition
from tests.conftest import Answer, TinyHttp

HITS, MISSES = "refservice_cache_hits_total", "refservice_cache_misses_total"


@pytest.fixture
def serve(tiny_http: Callable[[Answer], TinyHttp]) -> Callable[[Answer], str]:
    return lambda answer: tiny_http(answer).url + "/metrics"


def test_parse_the_reference_service_metrics() -> None:
    metrics = ServiceMetrics({"en": 10, "ja": 5})
    for _ in range(7):
        metrics.cache_hits.inc()
    metrics.cache_misses.inc()
    values = parse_exposition(metrics.render().decode(), [*PROCESS_SERIES, HITS, MISSES])
    assert (values[HITS], values[MISSES]) == (7.0, 1.0)
    assert values["process_start_time_seconds"] > 1e9
    assert values["process_resident_memory_bytes"] > 0
    summed = parse_exposition(metrics.render().decode(), ["refservice_index_documents"])
    assert summed == {"refservice_index_documents": 15.0}  # label sets add up


def test_scrape_a_live_endpoint_into_the_run_dir(
    serve: Callable[[Answer], str], tmp_path: Path
) -> None:
    metrics = ServiceMetrics({"en": 1})

    def answer() -> tuple[int, bytes]:
        metrics.cache_hits.inc(3)
        metrics.cache_misses.inc()
        return 200, metrics.render()

    url = serve(answer)
    out = tmp_path / "target_metrics.jsonl"
    scraper = Scraper([url], 0.1, 2.0, ["refservice_cache_size"], out, (HITS, MISSES))
    scraper.start(time.monotonic_ns())
    time.sleep(0.45)
    scraper.stop()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == scraper.rows
    assert len(rows) >= 4  # one at start, one per interval, one at stop
    assert all(r["up"] == 1 and r["endpoint"] == url for r in rows)
    assert [r["t_s"] for r in rows] == sorted(r["t_s"] for r in rows)
    assert rows[-1][HITS] == 3 * len(rows)
    assert "refservice_cache_size" in rows[-1]
    assert scraper.report()["failed"] == 0
    assert TargetMetrics(tuple(rows), HITS, MISSES).cache_hit_rate(0, 1) == 0.75


def test_failures_are_counted_not_raised(serve: Callable[[Answer], str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/metrics"
    missing = serve(lambda: (404, b"no"))
    garbage = serve(lambda: (200, b"this is { not prometheus\n"))
    scraper = Scraper([refused, missing, garbage], 10.0, 1.0, [])
    started = time.monotonic()
    scraper.start(time.monotonic_ns())
    scraper.stop()
    assert time.monotonic() - started < 5
    assert [r["up"] for r in scraper.rows] == [0, 0, 0] * 2
    errors = scraper.report()["errors"]
    assert errors["HTTP 404"] == 2
    assert any(e.startswith("unreachable") for e in errors)
    assert any(e.startswith("not Prometheus text") for e in errors)
