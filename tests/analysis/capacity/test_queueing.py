"""The M/G/c latency model: Erlang C against known values, and out-of-sample prediction on an
M/D/8 queue (fitted on the steps under 60 % of the max, checked on the rest)."""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.maxqps import max_qps
from loadplan.analysis.capacity.queueing import erlang_c, fit_queue
from loadplan.plan.slo import SloSpec
from tests.analysis.capacity.support import staircase

RATES = [100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 340.0, 380.0]


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [(1, 0.5, 0.5), (2, 1.0, 1 / 3), (3, 2.0, 4 / 9), (5, 0.0, 0.0), (2, 2.0, 1.0)],
    ids=["mm1", "mm2", "mm3", "idle", "saturated"],
)
def test_erlang_c(c: int, a: float, expected: float) -> None:
    assert erlang_c(c, a) == pytest.approx(expected)


def test_fitted_under_60_percent_it_predicts_the_max_and_the_later_steps() -> None:
    steps = staircase(RATES)
    found = max_qps(steps, SloSpec(p95=0.060))
    fit_on = [s for s in steps if s.offered_qps <= 0.6 * found.value]
    model = fit_queue(fit_on)
    assert model.max_qps({95.0: 60.0}) == pytest.approx(found.value, rel=0.15)
    for step in steps:
        if step.offered_qps <= 0.6 * found.value or step.offered_qps > found.value:
            continue
        measured = step.figures().percentile_ms(95)
        assert model.percentile_ms(step.offered_qps, 95) == pytest.approx(measured, rel=0.15)


def test_latency_rises_with_the_rate_and_has_no_value_past_saturation() -> None:
    model = fit_queue(staircase(RATES[:3]))
    values = [model.percentile_ms(q, 95) for q in (50.0, 150.0, 250.0)]
    assert values == sorted(values)  # type: ignore[type-var]
    assert model.percentile_ms(model.capacity_qps * 1.01, 95) is None


def test_one_step_is_not_enough() -> None:
    with pytest.raises(ValueError, match="at least two steps"):
        fit_queue(staircase([100.0]))
