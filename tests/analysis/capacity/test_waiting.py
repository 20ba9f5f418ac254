"""Percentiles of the no-wait latency plus an exponential-tailed wait, against closed forms."""

from __future__ import annotations

import math

import pytest

from loadplan.analysis.capacity.waiting import NoWaitLatency
from loadplan.results.histogram import new_histogram, record_many

SPREAD = NoWaitLatency((20.0, 21.0, 30.0), (0.5, 0.4, 0.1))


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
    assert base.percentile_ms(q, waits, decay) == pytest.approx(expected)


def test_the_sum_is_below_the_sum_of_percentiles_when_both_spread() -> None:
    # A slow no-wait tail and a long wait seldom meet in one request.
    waits, decay = 0.3, 0.2
    wait_p95 = math.log(waits / 0.05) / decay
    assert SPREAD.percentile_ms(95.0, waits, decay) < SPREAD.percentile_ms(95.0) + wait_p95 - 5


def test_from_a_histogram_each_bucket_weighs_its_share() -> None:
    hist = new_histogram()
    record_many(hist, [20_000] * 3 + [25_000])
    base = NoWaitLatency.of(hist)
    assert base.weights == (0.75, 0.25)
    assert base.percentile_ms(50.0) == pytest.approx(20.0, rel=1e-3)
    assert base.percentile_ms(99.0) == pytest.approx(25.0, rel=1e-3)
    with pytest.raises(ValueError, match="needs a histogram with values"):
        NoWaitLatency.of(new_histogram())
