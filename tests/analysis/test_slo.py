"""Verdicts on crafted snapshot streams: each objective, empty data, inconclusive runs."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.analysis.slo import (
    Evidence,
    HitRate,
    drift_ms,
    judge,
    recovery_s,
    second_failures,
    unreachable_from,
    warm_hit_rate,
)
from loadplan.plan.slo import SloSpec
from loadplan.results.stagebook import SecondRow, WindowP95
from loadplan.results.target_metrics import TargetMetrics
from loadplan.verdict import Verdict
from tests.support.snapshots import book_of, scenario_of, second, steady

SLO = SloSpec(p95=0.3, p99=0.5, error_rate=0.001, throughput=0.99)
TWO = (
    {"name": "warm", "type": "constant", "rate": 100, "duration": 3},
    {"name": "sustained", "type": "soak", "rate": 100, "duration": 5},
)


def verdict_for(snaps: list[Any], slo: SloSpec = SLO, stages: Any = TWO, **kw: Any) -> Verdict:
    return judge(slo, Evidence(scenario_of(*stages), book_of(snaps, kw.pop("window", 60)), **kw))


def rows(verdict: Verdict, stage: str) -> dict[str, bool | None]:
    return {r.objective: r.passed for r in verdict.rows if r.stage == stage}


def row_of(verdict: Verdict, stage: str, objective: str) -> Any:
    return next(r for r in verdict.rows if r.stage == stage and r.objective == objective)


def test_a_run_that_holds_its_sla_passes() -> None:
    verdict = verdict_for(steady(0, 3, "warm") + steady(3, 5, "sustained"))
    assert (verdict.passed, verdict.exit_code, verdict.inconclusive) == (True, 0, ())
    assert rows(verdict, "sustained") == {
        "p95 latency": True,
        "p99 latency": True,
        "error rate": True,
        "throughput": True,
    }
    assert rows(verdict, "run")["p95 latency"] is True


@pytest.mark.parametrize(
    ("sustained", "failing"),
    [
        (steady(3, 5, "sustained", ms=400), {"p95 latency", "p99 latency"}),
        (steady(3, 5, "sustained", ms=20, errors={"ok": 99, "http_5xx": 1}), {"error rate"}),
        (steady(3, 5, "sustained", due=110), {"throughput"}),
        (
            [second(3, "sustained", [], due=100)],
            {"p95 latency", "p99 latency", "error rate", "throughput"},
        ),
        ([], {"p95 latency", "p99 latency", "error rate", "throughput"}),
    ],
    ids=["slow", "errors", "fell-behind", "no-answers", "no-data"],
)
def test_each_objective_fails_on_its_own(sustained: list[Any], failing: set[str]) -> None:
    verdict = verdict_for(steady(0, 3, "warm") + sustained)
    assert verdict.passed is False
    assert verdict.exit_code == 1
    assert {name for name, ok in rows(verdict, "sustained").items() if ok is False} == failing
    assert rows(verdict, "warm") == dict.fromkeys(rows(verdict, "warm"), True)


def test_no_data_at_all_is_a_failure_never_a_pass() -> None:
    verdict = verdict_for([])
    assert verdict.passed is False
    assert row_of(verdict, "run", "p95 latency").measured == "no data"


def test_a_plan_without_objectives_judges_nothing() -> None:
    verdict = verdict_for(steady(0, 3, "warm"), slo=SloSpec())
    assert (verdict.passed, verdict.exit_code, verdict.rows) == (None, 3, ())


@pytest.mark.parametrize(
    ("snaps", "reason"),
    [
        (
            steady(0, 3, "warm") + steady(3, 5, "sustained", lag_ms=50),
            "generator-bound in judged",
        ),
        (steady(0, 3, "warm") + steady(3, 5, "sustained", cpu=0.95), "generator CPU >= 90%"),
        (
            steady(0, 3, "warm") + steady(3, 4, "sustained", errors={"connect_refused": 100}),
            "target unreachable from t=3s",
        ),
    ],
    ids=["lagging-generator", "busy-generator", "target-gone"],
)
def test_untrustworthy_numbers_make_it_inconclusive(snaps: list[Any], reason: str) -> None:
    verdict = verdict_for(snaps)
    assert (verdict.passed, verdict.exit_code) == (None, 3)
    assert any(reason in why for why in verdict.inconclusive), verdict.inconclusive


SPIKE = (
    {"name": "base", "type": "constant", "rate": 100, "duration": 2},
    {"type": "spike", "rate": 100, "hold": 2, "recovery": 6},
)


@pytest.mark.parametrize(
    ("recovery_ms", "expected", "passed"),
    [
        ([10] * 6, "0 s", True),
        ([900, 700, 10, 10, 10, 10], "2 s", True),
        ([900, 900, 900, 10, 10, 10], "3 s", False),
        ([900, 10, 900, 10, 10, 10], "3 s", False),
        ([900] * 6, "not back within 6 s", False),
    ],
    ids=["never-over", "back-after-2", "back-after-3", "relapse-counts", "never-back"],
)
def test_spike_recovery_time(recovery_ms: list[float], expected: str, passed: bool) -> None:
    snaps = steady(0, 2, "base") + steady(2, 2, "spike", ms=50)
    snaps += [steady(4 + i, 1, "spike-recovery", ms=ms)[0] for i, ms in enumerate(recovery_ms)]
    slo = SloSpec(p95=0.3, error_rate=0.001, recovery=2.5, settle=2)
    verdict = verdict_for(snaps, slo=slo, stages=SPIKE)
    row = row_of(verdict, "spike", "recovery time")
    assert (row.measured, row.passed) == (expected, passed)
    assert row_of(verdict, "spike", "errors during spike").passed is True
    # The spike is judged on its own rows: its P95 at 2x is not held against the run.
    assert "spike" not in {r.stage for r in verdict.rows if r.objective == "p95 latency"}


def test_errors_during_the_spike() -> None:
    snaps = steady(0, 2, "base") + steady(2, 2, "spike", errors={"ok": 90, "timeout": 10})
    snaps += steady(4, 6, "spike-recovery")
    verdict = verdict_for(snaps, slo=SloSpec(p95=0.3, error_rate=0.01), stages=SPIKE)
    row = row_of(verdict, "spike", "errors during spike")
    assert (row.passed, row.measured) == (False, "2.500% (20 of 800)")
    assert verdict.passed is False


@pytest.mark.parametrize(
    ("step_ms", "passed"), [(0.0, True), (2.0, True), (8.0, False)], ids=["flat", "slow", "drift"]
)
def test_soak_drift(step_ms: float, passed: bool) -> None:
    # Ten 2-second windows; P95 rises step_ms per window: 5 windows = 10 s -> 5 * step_ms / 10 s.
    snaps = steady(0, 3, "warm")
    snaps += [s for w in range(10) for s in steady(3 + 2 * w, 2, "sustained", ms=100 + step_ms * w)]
    stages = (TWO[0], {"name": "sustained", "type": "soak", "rate": 100, "duration": 20})
    slo = SloSpec(p95=0.5, max_drift=0.030, drift_window=2)
    verdict = verdict_for(snaps, slo=slo, stages=stages, window=2)
    row = row_of(verdict, "sustained", "p95 drift")
    assert row.passed is passed
    assert row.value == pytest.approx(step_ms * 1.5 * 10, rel=0.1)


def test_drift_needs_windows() -> None:
    stages = (TWO[0], {"name": "sustained", "type": "soak", "rate": 100, "duration": 5})
    slo = SloSpec(p95=0.5, max_drift=0.030, drift_window=2)
    verdict = verdict_for(steady(0, 3, "warm") + steady(3, 4, "sustained"), slo, stages, window=2)
    row = row_of(verdict, "sustained", "p95 drift")
    assert (row.passed, row.measured) == (None, "2 windows of 2s (need 3)")


CACHE = (
    {"name": "warm", "type": "constant", "rate": 100, "duration": 2},
    {"name": "cold", "type": "constant", "rate": 100, "duration": 2, "flush_cache": True},
    {"name": "hot", "type": "constant", "rate": 100, "duration": 2},
)


@pytest.mark.parametrize(
    ("hot_hits", "passed"), [(90, True), (70, False)], ids=["above-floor", "below-floor"]
)
def test_cache_floor_from_the_response_header(hot_hits: int, passed: bool) -> None:
    snaps = steady(0, 2, "warm", tags={"x-cache=MISS": 100})
    snaps += steady(2, 2, "cold", tags={"x-cache=MISS": 60, "x-cache=HIT": 40})
    hot = {"x-cache=HIT": hot_hits, "x-cache=MISS": 100 - hot_hits}
    snaps += steady(4, 2, "hot", tags=hot)
    verdict = verdict_for(snaps, SloSpec(cache_hit_rate=0.8), CACHE, cache_header="X-Cache")
    assert row_of(verdict, "hot", "cache hit rate").passed is passed
    assert row_of(verdict, "run", "cache hit rate").passed is passed
    cold = row_of(verdict, "cold", "cache hit rate (after flush)")
    assert (cold.passed, cold.measured) == (None, "40.0% (X-Cache header)")
    # The first stage warms the cache: its misses are reported, not held against the floor.
    warming = row_of(verdict, "warm", "cache hit rate (warming)")
    assert (warming.passed, warming.measured) == (None, "0.0% (X-Cache header)")


def test_warm_hit_rate_is_what_the_run_floor_reads() -> None:
    # The capacity plan sizes the cache from this value and its source, not from display text.
    snaps = steady(0, 2, "warm", tags={"x-cache=MISS": 100})
    snaps += steady(2, 2, "cold", tags={"x-cache=MISS": 60, "x-cache=HIT": 40})
    snaps += steady(4, 2, "hot", tags={"x-cache=HIT": 75, "x-cache=MISS": 25})
    evidence = Evidence(scenario_of(*CACHE), book_of(snaps, 60), cache_header="X-Cache")
    cache = warm_hit_rate(evidence)
    assert (cache.rate, cache.source) == (pytest.approx(0.75), "X-Cache header")
    verdict = judge(SloSpec(cache_hit_rate=0.5), evidence)
    assert row_of(verdict, "run", "cache hit rate").value == cache.rate
    assert warm_hit_rate(Evidence(scenario_of(*CACHE), book_of(snaps, 60))) == HitRate(None, "")


def test_a_ramp_warms_the_cache_too() -> None:
    stages = (
        {"name": "base", "type": "constant", "rate": 10, "duration": 2},
        {"name": "up", "type": "ramp", "from": 10, "to": 100, "duration": 2},
        {"name": "steady", "type": "soak", "rate": 100, "duration": 2},
    )
    snaps = steady(0, 2, "base", tags={"x-cache=MISS": 100})
    snaps += steady(2, 2, "up", tags={"x-cache=MISS": 70, "x-cache=HIT": 30})
    snaps += steady(4, 2, "steady", tags={"x-cache=MISS": 20, "x-cache=HIT": 80})
    verdict = verdict_for(snaps, SloSpec(cache_hit_rate=0.5), stages, cache_header="X-Cache")
    assert row_of(verdict, "up", "cache hit rate (warming)").passed is None
    assert row_of(verdict, "steady", "cache hit rate").passed is True
    assert row_of(verdict, "run", "cache hit rate").value == pytest.approx(0.8)
    assert verdict.passed is True


def test_cache_floor_from_target_metrics_and_restarts() -> None:
    def scrape(t: float, hits: float, misses: float, start: float = 100.0) -> dict[str, Any]:
        return {
            "t_s": t,
            "endpoint": "e",
            "up": 1,
            "h": hits,
            "m": misses,
            "process_start_time_seconds": start,
        }

    metrics = TargetMetrics(
        (
            scrape(0, 0, 0),
            scrape(2, 10, 90),
            scrape(4, 60, 140),
            scrape(6, 150, 150),
            scrape(7, 1, 1, start=107.0),
        ),
        hits="h",
        misses="m",
    )
    snaps = steady(0, 2, "warm") + steady(2, 2, "cold") + steady(4, 2, "hot")
    verdict = verdict_for(snaps, SloSpec(cache_hit_rate=0.8), CACHE, metrics=metrics)
    hot = row_of(verdict, "hot", "cache hit rate")
    assert (hot.passed, hot.measured) == (True, "90.0% (target metrics)")
    assert row_of(verdict, "cold", "cache hit rate (after flush)").value == 0.5
    restarts = row_of(verdict, "run", "target restarts")
    assert (restarts.passed, restarts.measured) == (False, "1 (at t=7s)")


def test_a_metrics_endpoint_that_never_answered_is_no_data() -> None:
    metrics = TargetMetrics(({"t_s": 0, "endpoint": "e", "up": 0, "error": "HTTP 404"},))
    verdict = verdict_for(steady(0, 3, "warm") + steady(3, 5, "sustained"), metrics=metrics)
    row = row_of(verdict, "run", "target restarts")
    assert (row.passed, verdict.passed) == (False, False)


def row_(ms: float | None, completed: int = 100, ok: int = 100, due: int = 100) -> SecondRow:
    latency = {} if ms is None else {"p95": ms, "p99": ms * 1.2}
    return SecondRow(0, 0.0, 1.0, "x", due, completed, ok, 0, latency)


@pytest.mark.parametrize(
    ("row", "failures"),
    [
        (row_(100), []),
        (row_(350), ["p95 350.0 ms > 300 ms"]),
        (row_(450), ["p95 450.0 ms > 300 ms", "p99 540.0 ms > 500 ms"]),
        (row_(10, ok=99), ["errors 1.00% > 0.10%"]),
        (row_(None, completed=0, ok=0), ["no answers"]),
        (row_(None, completed=0, ok=0, due=0), []),
    ],
    ids=["holds", "p95", "p95-and-p99", "errors", "stalled", "idle"],
)
def test_second_failures(row: SecondRow, failures: list[str]) -> None:
    assert second_failures(row, SloSpec(p95=0.3, p99=0.5, error_rate=0.001)) == failures


@pytest.mark.parametrize(
    ("p95s", "stage_s", "expected"),
    [([10, 10, 10], 30, 0.0), ([10, 20, 30], 30, 30.0), ([30, 20, 10], 30, -30.0)],
    ids=["flat", "rising", "falling"],
)
def test_drift_is_the_fitted_rise_over_the_stage(
    p95s: list[float], stage_s: float, expected: float
) -> None:
    windows = [WindowP95(10.0 * i, 10.0, p, 100) for i, p in enumerate(p95s)]
    assert drift_ms(windows, stage_s) == pytest.approx(expected)


def seconds_from(p95s: list[float | None], start: int = 0) -> list[SecondRow]:
    out = []
    for i, p in enumerate(p95s):
        latency = {} if p is None else {"p95": float(p)}
        done = 0 if p is None else 100
        out.append(
            SecondRow(
                start + i, float(start + i), start + i + 1.0, "r", 100, done, done, 0, latency
            )
        )
    return out


@pytest.mark.parametrize(
    ("p95s", "settle", "expected"),
    [
        ([10, 10, 10], 3, 0.0),
        ([500, None, 10, 10, 10], 3, 2.0),
        ([500, 10, 500, 10, 10], 2, 3.0),
        ([500, 10], 3, 1.0),
        ([500, 500], 1, None),
    ],
    ids=["never-over", "stall-then-back", "relapse", "short-tail", "never"],
)
def test_recovery_s(p95s: list[float | None], settle: int, expected: float | None) -> None:
    assert recovery_s(seconds_from(p95s, 10), 10.0, "p95", 300.0, settle) == expected


def test_unreachable_needs_three_refused_seconds_in_a_row() -> None:
    def refused(i: int, all_refused: bool) -> SecondRow:
        return SecondRow(i, float(i), i + 1.0, "x", 10, 10, 0, 10 if all_refused else 5, {})

    flaky = [refused(i, i % 2 == 0) for i in range(8)]
    gone = [refused(i, i >= 4) for i in range(8)]
    assert unreachable_from(flaky) is None
    assert unreachable_from(gone) == 4.0


def test_one_late_second_among_many_is_not_a_lagging_generator() -> None:
    stages = (TWO[0], {"name": "sustained", "type": "soak", "rate": 100, "duration": 200})
    late = steady(3, 1, "sustained", lag_ms=70)
    verdict = verdict_for(steady(0, 3, "warm") + late + steady(4, 199, "sustained"), stages=stages)
    assert (verdict.passed, verdict.inconclusive) == (True, ())
