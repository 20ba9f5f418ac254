"""The breakpoint on crafted seconds: k failing seconds in a row, and where; the live watch."""

from __future__ import annotations

import pytest

from loadplan.analysis.breakpoint import BreakpointFinder
from loadplan.plan.slo import SloSpec
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.results.stagebook import SecondRow
from loadplan.scenarios.breakpoint import STOP_REASON, BreakpointWatch
from tests.support.snapshots import scenario_of, second, steady

SCENARIO = scenario_of(
    {"name": "warm", "type": "constant", "rate": 10, "duration": 2},
    {"type": "breakpoint", "from": 100, "to": 500, "step": 100, "step_duration": 3,
     "consecutive": 3},
)  # fmt: skip
SLO = SloSpec(p95=0.3, error_rate=0.01)


def seconds_of(p95_by_second: list[float], errors: int = 0) -> list[IntervalSnapshot]:
    """A warm stage at 1 s latency (not judged), then the given breakpoint seconds."""
    stage = SCENARIO.breakpoint
    assert stage is not None
    snaps = steady(0, 2, "warm", ms=1000)
    for i, ms in enumerate(p95_by_second):
        label = stage.labels[min(i // 3, len(stage.labels) - 1)]
        counts = {"ok": 100 - errors, "http_5xx": errors} if errors else None
        snaps.append(second(2 + i, label, [ms] * 100, errors=counts))
    return snaps


def play(p95_by_second: list[float], errors: int = 0) -> tuple[BreakpointFinder, int | None]:
    stage = SCENARIO.breakpoint
    assert stage is not None
    finder = BreakpointFinder(stage, SLO)
    for snap in seconds_of(p95_by_second, errors):
        if finder.check(SecondRow.of(snap)):
            return finder, snap.index
    return finder, None


@pytest.mark.parametrize(
    ("p95s", "stopped_at", "good", "broke"),
    [
        ([10, 10, 10, 10, 10, 10, 900, 900, 900], 10, 200.0, 300.0),
        ([10, 10, 10, 10, 900, 900, 900], 8, 100.0, 200.0),
        ([10, 10, 10, 10, 10, 900, 900, 900], 9, 100.0, 200.0),
        ([900, 900, 900], 4, None, 100.0),
        ([10, 900, 900, 10, 900, 900, 10, 10, 10], None, 300.0, None),
    ],
    ids=["breaks-at-a-step", "mid-step", "streak-spans-steps", "first-step", "never-3-in-a-row"],
)
def test_stops_after_k_failing_seconds(
    p95s: list[float], stopped_at: int | None, good: float | None, broke: float | None
) -> None:
    watch, at = play(p95s)
    result = watch.result()
    assert at == stopped_at
    assert (result.reached, result.last_good_rate, result.breaking_rate) == (
        stopped_at is not None,
        good,
        broke,
    )


def test_errors_break_it_too_and_say_why() -> None:
    watch, at = play([10, 10, 10], errors=5)
    assert at == 4
    assert watch.result().why == ("errors 5.00% > 1.00%",)
    row = watch.result().row()
    assert (row.objective, row.passed) == ("capacity under SLA", None)
    assert row.measured == "broke at the first step (100 req/s)"


def test_the_last_partial_second_is_not_judged() -> None:
    stage = SCENARIO.breakpoint
    assert stage is not None
    finder = BreakpointFinder(stage, SLO)
    assert finder.check(SecondRow.of(second(2, "breakpoint-0", [900] * 100, length=0.3))) is False
    assert finder.result().reached is False


def test_the_live_watch_stops_the_run_where_the_finder_finds_it() -> None:
    stage = SCENARIO.breakpoint
    assert stage is not None
    watch = BreakpointWatch(stage, SLO)
    answers = [watch.check(snap) for snap in seconds_of([10, 10, 10, 10, 900, 900, 900])]
    assert answers.index(STOP_REASON) == 8
    assert answers[:8] == [None] * 8
