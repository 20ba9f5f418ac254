"""The target's scraped metrics over a stretch of the run: counters across restarts, windows."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.results.target_metrics import TargetMetrics, counter_increase


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0), ([5], 0), ([1, 2, 4], 3), ([10, 15, 3, 5], 10), ([7, 0, 0, 2], 2)],
    ids=["empty", "one", "rising", "reset", "reset-to-zero"],
)
def test_counter_increase(values: list[float], expected: float) -> None:
    assert counter_increase(values) == expected


def scrape(t: float, endpoint: str = "a", **values: float) -> dict[str, Any]:
    return {"t_s": t, "endpoint": endpoint, "up": 1, **values}


ROWS = (
    scrape(-0.3, hits=0, misses=0, process_cpu_seconds_total=1.0),
    scrape(5, hits=10, misses=40, process_cpu_seconds_total=2.0),
    scrape(10, hits=60, misses=40, process_cpu_seconds_total=4.0),
    {"t_s": 15, "endpoint": "a", "up": 0, "error": "timed out"},
    scrape(20, hits=160, misses=40, process_cpu_seconds_total=6.0),
    scrape(5, "b", hits=0, misses=0),
    scrape(20, "b", hits=100, misses=0),
)


@pytest.mark.parametrize(
    ("t0", "t1", "hits"),
    [(0, 5, 10), (5, 10, 50), (10, 20, 100), (0, 20, 160), (3, 7, 60), (25, 30, None)],
    ids=["first", "exact", "over-a-failed-scrape", "whole", "bracketing", "after-the-end"],
)
def test_increase_brackets_the_window(t0: float, t1: float, hits: float | None) -> None:
    assert TargetMetrics(ROWS[:5]).increase("hits", t0, t1) == hits


def test_endpoints_add_up() -> None:
    metrics = TargetMetrics(ROWS, hits="hits", misses="misses")
    assert metrics.increase("hits", 5, 20) == 150 + 100
    assert metrics.cache_hit_rate(5, 20) == pytest.approx(250 / 250)
    assert metrics.cache_hit_rate(0, 5) == pytest.approx(10 / 50)
    assert metrics.cpu_cores(10, 20) == pytest.approx(0.2)


def test_restarts_memory_and_describe() -> None:
    rows = (
        scrape(0, process_start_time_seconds=100.0, process_resident_memory_bytes=10.0),
        scrape(5, process_start_time_seconds=100.0, process_resident_memory_bytes=30.0),
        scrape(10, process_start_time_seconds=108.0, process_resident_memory_bytes=5.0),
    )
    metrics = TargetMetrics(rows)
    assert metrics.restarts() == [("a", 10)]
    assert metrics.memory_max(0, 6) == 30.0
    assert metrics.describe(0, 10)["restarts"] == 1
    assert metrics.cache_hit_rate(0, 10) is None  # no counter names configured
    assert TargetMetrics(({"t_s": 0, "endpoint": "a", "up": 0},)).scraped is False


def test_scrape_times_are_the_endpoint_scraped_most_in_the_window() -> None:
    metrics = TargetMetrics(ROWS)
    assert metrics.scrape_times(0, 20) == (5.0, 10.0, 20.0)  # "a" (the failed scrape left out)
    assert metrics.scrape_times(15, 20) == (20.0,)
    assert metrics.scrape_times(25, 30) == ()


@pytest.mark.parametrize(
    ("rows", "name", "cuts", "expected"),
    [
        pytest.param(ROWS[:5], "hits", (5, 10, 20), (50, 100), id="at-own-scrapes"),
        pytest.param(ROWS[:5], "hits", (-0.3, 20), (160,), id="one-interval"),
        pytest.param(ROWS, "hits", (5, 20), (250,), id="endpoints-add-up"),
        pytest.param(ROWS, "hits", (5, 10, 20), (50 + 100 / 3, 100 + 200 / 3), id="interpolated"),
        pytest.param(ROWS, "hits", (-0.3, 5), None, id="an-endpoint-not-scraped-then"),
        pytest.param(ROWS[:5], "nothing", (5, 10), None, id="no-such-counter"),
        pytest.param(ROWS[:5], "hits", (5,), None, id="one-cut"),
        pytest.param(
            (scrape(0, c=10), scrape(2, c=14), scrape(4, c=3), scrape(6, c=5)),
            "c",
            (0, 2, 4, 6),
            (4, 3, 2),
            id="across-a-restart",
        ),
    ],
)
def test_increases_between_cuts(
    rows: tuple[dict[str, Any], ...],
    name: str,
    cuts: tuple[float, ...],
    expected: tuple[float, ...] | None,
) -> None:
    got = TargetMetrics(rows).increases(name, cuts)
    assert got == (None if expected is None else pytest.approx(expected))
