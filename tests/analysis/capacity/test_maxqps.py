"""Max QPS under the SLA, checked against an M/D/c queue whose capacity is known.

8 servers x 20 ms (M/D/8) under Poisson arrivals hold P95 <= 60 ms up to about 367 req/s
(``tests/support/mdc.py`` finds the rate by simulation); a staircase recorded from that queue
must put the max within 10 % of it, and its interval around the estimate.
"""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.maxqps import breaks, crossing, max_qps
from loadplan.errors import CapacityError
from loadplan.plan.slo import SloSpec
from tests.analysis.capacity.support import simulated_step, staircase
from tests.support.mdc import rate_at_percentile

SLO = SloSpec(p95=0.060)
RATES = [100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 340.0, 380.0, 420.0]


@pytest.fixture(scope="module")
def truth() -> float:
    return rate_at_percentile(0.060, 95, 8, 0.020)


def test_the_estimate_is_within_10_percent_of_the_known_capacity(truth: float) -> None:
    found = max_qps(staircase(RATES), SLO)
    assert found.value == pytest.approx(truth, rel=0.10)
    assert found.low <= found.value <= found.high
    assert (found.last_good, found.first_bad, found.limiting) == (
        "sim:stairs-6", "sim:stairs-7", "p95",
    )  # fmt: skip
    assert found.lower_bound is False


def test_the_interval_is_the_same_for_the_same_seconds() -> None:
    steps = staircase(RATES[5:8])
    assert max_qps(steps, SLO) == max_qps(list(reversed(steps)), SLO)


def test_errors_limit_it_when_they_break_first() -> None:
    slo = SloSpec(p95=0.060, error_rate=0.01)
    steps = [simulated_step(0, 100.0), simulated_step(1, 140.0, errors_per_second=5)]
    found = max_qps(steps, slo)
    assert found.limiting == "error rate"
    assert 100.0 <= found.value < 140.0
    (why,) = breaks(steps[1].figures(), slo)
    assert why.startswith("errors ")
    assert why.endswith("> 1.00%")


@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ([], "no step or breakpoint stage"),
        ([400.0, 420.0], "the first step \\(400 req/s\\) already broke the SLA"),
    ],
    ids=["no-steps", "first-step-broke"],
)
def test_refusals_say_what_to_change(rates: list[float], match: str) -> None:
    with pytest.raises(CapacityError, match=match):
        max_qps(staircase(rates), SLO)


def test_a_staircase_that_held_everywhere_gives_a_lower_bound() -> None:
    found = max_qps(staircase([100.0, 200.0]), SLO)
    assert found.lower_bound is True
    assert found.value == pytest.approx(200.0, rel=0.05)
    assert "extend the staircase" in found.to_json()["method"]


def test_crossing_interpolates_linearly_between_the_two_steps() -> None:
    good, bad = simulated_step(0, 300.0).figures(), simulated_step(1, 400.0).figures()
    at, name = crossing(good, bad, SLO)
    p0, p1 = good.percentile_ms(95), bad.percentile_ms(95)
    assert p0 is not None
    assert p1 is not None
    assert name == "p95"
    assert at == pytest.approx(
        good.offered_qps + (60 - p0) / (p1 - p0) * (bad.offered_qps - good.offered_qps)
    )
