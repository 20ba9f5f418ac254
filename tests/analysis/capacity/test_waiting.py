"""Percentiles of the no-wait latency plus a wait, against closed forms (an exponential-tailed
wait, P(W > w) = C exp(-θ w), has them)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loadplan.analysis.capacity.waiting import FloatArray, NoWaitLatency, WaitSurvival
from loadplan.results.histogram import new_histogram, record_many

SPREAD = NoWaitLatency((20.0, 21.0, 30.0), (0.5, 0.4, 0.1))


def exponential(waits: float, decay: float) -> WaitSurvival | None:
    """P(W > w) = ``waits`` exp(-``decay`` w); None (no wait) when nobody waits."""
    if waits == 0:
        return None

    def survival(t: FloatArray) -> FloatArray:
        return np.asarray(waits * np.exp(-decay * t), dtype=np.float64)

    return survival


@pytest.mark.parametrize(
    ("base", "q", "waits", "decay", "expected"),
    [
        (NoWaitLatency.point(20.0), 95.0, 0.0, math.inf, 20.0),
        (NoWaitLatency.point(20.0), 95.0, 0.04, 0.1, 20.0),
        (NoWaitLatency.point(20.0), 95.0, 0.5, 0.1, 20.0 + math.log(0.5 / 0.05) / 0.1),
        (NoWaitLatency.point(20.0), 99.0, 1.0, 0.2, 20.0 + math.log(1.0 / 0.01) / 0.2),
        (SPREAD, 50.0, 0.0, math.inf, 20.0),
        (SPREAD, 95.0, 0.0, math.inf, 30.0),
        # 10 % of requests take 30 ms and never wait long enough to matter for P80: the
        # P80 of the sum solves 0.1 + 0.5 C e^{-θ(x-20)} + 0.4 C e^{-θ(x-21)} = 0.2 on [21, 30).
        (SPREAD, 80.0, 0.5, 0.5, 21.0 + math.log(0.5 * (0.5 * math.exp(-0.5) + 0.4) / 0.1) / 0.5),
    ],
    ids=["no-wait", "few-wait", "point-plus-wait", "all-wait-p99", "spread-p50", "spread-p95",
         "spread-between-values"],
)  # fmt: skip
def test_percentiles_of_the_sum(
    base: NoWaitLatency, q: float, waits: float, decay: float, expected: float
) -> None:
    # Computed on a grid of GRID points: within a few hundred-thousandths.
    assert base.percentile_ms(q, exponential(waits, decay)) == pytest.approx(expected, rel=1e-4)


def test_the_sum_is_below_the_sum_of_percentiles_when_both_spread() -> None:
    # A slow no-wait tail and a long wait seldom meet in one request.
    waits, decay = 0.3, 0.2
    wait_p95 = math.log(waits / 0.05) / decay
    summed = SPREAD.percentile_ms(95.0, exponential(waits, decay))
    assert summed < SPREAD.percentile_ms(95.0) + wait_p95 - 5


def test_from_a_histogram_each_bucket_weighs_its_share() -> None:
    hist = new_histogram()
    record_many(hist, [20_000] * 3 + [25_000])
    base = NoWaitLatency.of(hist)
    assert base.weights == (0.75, 0.25)
    assert base.percentile_ms(50.0) == pytest.approx(20.0, rel=1e-3)
    assert base.percentile_ms(99.0) == pytest.approx(25.0, rel=1e-3)
    with pytest.raises(ValueError, match="needs a histogram with values"):
        NoWaitLatency.of(new_histogram())


def test_several_percentiles_at_once_are_each_percentile() -> None:
    wait = exponential(0.3, 0.2)
    qs = (50.0, 80.0, 95.0, 99.0)
    together = SPREAD.percentiles_ms(qs, wait)
    # Each call lays its own grid (up to where its highest percentile lies): they agree within
    # a grid step or two, finer than an HDR bucket (1/1000).
    assert together == pytest.approx([SPREAD.percentile_ms(q, wait) for q in qs], rel=1e-3)
    assert list(together) == sorted(together)
