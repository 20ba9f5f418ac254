"""A latency row is not judged when the generator's own lateness moved as much as half its
threshold's worth: the machine, not the build, may have moved the latency."""

from __future__ import annotations

import pytest
from hdrh.histogram import HdrHistogram

from loadplan.analysis.compare.gate import Threshold
from loadplan.analysis.compare.lag import lag_moved, stage_lags
from loadplan.analysis.compare.stats import Difference, Figure
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.snapshot import IntervalSnapshot

P99 = Threshold(Figure.P99, 0.10, True)


def lag(*values_us: int) -> HdrHistogram:
    hist = new_histogram()
    record_many(hist, list(values_us) * 100)
    return hist


def p99(base_ms: float) -> Difference:
    return Difference(Figure.P99, base_ms, base_ms * 1.15, 0.15, 0.10, 0.20, 5000, 5000)


@pytest.mark.parametrize(
    ("base_lag_us", "new_lag_us", "blocked"),
    [
        pytest.param(570, 3550, True, id="measured-A/A-that-failed: 0.57 -> 3.55 ms"),
        pytest.param(570, 600, False, id="quiet-both"),
        pytest.param(570, 1800, False, id="under-half-the-threshold: +1.23 of 1.33 ms"),
        pytest.param(3550, 570, True, id="either-way"),
    ],
)
def test_a_lag_shift_of_half_the_threshold_blocks_the_row(
    base_lag_us: int, new_lag_us: int, blocked: bool
) -> None:
    # Base P99 26.7 ms, threshold +10 %: 2.67 ms of latency, half of it 1.33 ms.
    why = lag_moved(p99(26.7), P99, lag(base_lag_us), lag(new_lag_us))
    assert (why is not None) is blocked
    if blocked:
        assert why is not None
        assert why.startswith("schedule lag P99 ")
        assert why.endswith("the machine delayed the generator in one run; run both again")


def test_rates_are_never_blocked_by_lag() -> None:
    diff = Difference(Figure.ERROR_RATE, 0.0, 0.01, 0.01, 0.005, 0.02, 5000, 5000)
    assert lag_moved(diff, P99, lag(500), lag(50_000)) is None


def test_the_stage_lag_is_its_whole_seconds_only() -> None:
    def second(stage: str, start: float, end: float, lag_us: int) -> IntervalSnapshot:
        hist = new_histogram()
        record_many(hist, [lag_us])
        return IntervalSnapshot(index=int(start), start_s=start, end_s=end, stage=stage, lag=hist)

    lags = stage_lags([second("a", 0, 1, 100), second("a", 1, 2, 200), second("a", 2, 2.3, 9000)])
    assert lags["a"].get_total_count() == 2
    assert lags["a"].get_max_value() < 1000
