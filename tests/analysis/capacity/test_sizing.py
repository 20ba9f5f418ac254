"""Instances for growth: the formula's table, with headroom and N+k, and its refusals."""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.bottleneck import StepFacts
from loadplan.analysis.capacity.latency import latency_curve
from loadplan.analysis.capacity.maxqps import MaxQps
from loadplan.analysis.capacity.queueing import QueueModel, fit_queue
from loadplan.analysis.capacity.sizing import plan_growth
from tests.analysis.capacity.support import staircase

CAPACITY = MaxQps(1000.0, 950.0, 1050.0, "run:bp-3", "run:bp-4", "p95")
CAPACITY_360 = MaxQps(360.0, 340.0, 380.0, "run:bp-3", "run:bp-4", "p95")


@pytest.mark.parametrize(
    ("peak", "headroom", "redundancy", "expected"),
    [
        (700.0, 0.3, 1, {1.0: 2, 1.5: 3, 2.0: 3, 3.0: 4}),  # 700/700 = 1 serving at 1x
        (701.0, 0.3, 1, {1.0: 3, 1.5: 3, 2.0: 4, 3.0: 5}),
        (1000.0, 0.0, 0, {1.0: 1, 1.5: 2, 2.0: 2, 3.0: 3}),
        (1000.0, 0.5, 2, {1.0: 4, 1.5: 5, 2.0: 6, 3.0: 8}),
    ],
    ids=["exactly-full", "just-over", "no-headroom-no-spare", "half-headroom-n-plus-2"],
)
def test_instances_follow_the_formula(
    peak: float, headroom: float, redundancy: int, expected: dict[float, int]
) -> None:
    rows = plan_growth(peak, CAPACITY, headroom=headroom, redundancy=redundancy)
    assert {r.growth: r.instances for r in rows} == expected
    for r in rows:
        serving = r.instances - redundancy
        assert r.per_instance_qps == pytest.approx(peak * r.growth / r.instances)
        assert r.utilisation == pytest.approx(r.per_instance_qps / 1000.0)
        # With the spare instances lost, the rest still carry the peak within the headroom.
        assert r.degraded_per_instance_qps == pytest.approx(peak * r.growth / serving)
        assert r.degraded_per_instance_qps <= 1000.0 * (1 - headroom) + 1e-6


CURVE_STEPS = [
    ("r:s-0", StepFacts("s-0", 100.0, 100.0, 5.0, 10.0, 0.0)),
    ("r:s-1", StepFacts("s-1", 200.0, 200.0, 9.0, 20.0, 0.0)),
]


@pytest.mark.parametrize(
    "model",
    [None, fit_queue(staircase([100.0, 140.0, 180.0]))],
    ids=["no-model", "with-a-model"],
)
def test_latency_per_row_is_read_from_the_measured_steps(model: QueueModel | None) -> None:
    # 2x of 300 = 600 req/s on 3 + 1 instances: 150 req/s each, between the two steps, so
    # interpolated whatever the model says.
    rows = plan_growth(300.0, CAPACITY_360, latency_curve(CURVE_STEPS, model))
    two = next(r for r in rows if r.growth == 2.0)
    assert (two.instances, two.per_instance_qps) == (4, 150.0)
    assert two.p95_ms == pytest.approx(7.0)
    assert two.p99_ms == pytest.approx(15.0)
    assert two.latency_source == "interpolated"
    assert two.latency_from == "interpolated between r:s-0 (100 req/s) and r:s-1 (200 req/s)"
    # The range: the same curve on instances at the interval's ends (380 and 340 req/s).
    low, high = two.p95_ms_range
    assert low == pytest.approx(5.0 + 4.0 * (150 * 360 / 380 - 100) / 100)
    assert high == pytest.approx(5.0 + 4.0 * (150 * 360 / 340 - 100) / 100)
    assert set(two.to_json()) >= {"growth", "peak_qps", "instances", "per_instance_qps",
                                  "utilisation", "p95_ms", "p99_ms", "latency_source",
                                  "latency_from"}  # fmt: skip


def test_no_steps_no_latency() -> None:
    (row,) = plan_growth(100.0, CAPACITY, growth=(1.0,))
    assert (row.p95_ms, row.p99_ms, row.latency_source) == (None, None, "none")
    assert row.p95_ms_range == (None, None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"peak_qps": 0.0}, "peak = 0"),
        ({"peak_qps": 10.0, "headroom": 1.0}, "headroom = 1"),
        ({"peak_qps": 10.0, "redundancy": -1}, "redundancy = -1"),
    ],
    ids=["no-peak", "all-headroom", "negative-redundancy"],
)
def test_refusals(kwargs: dict[str, float], match: str) -> None:
    peak = kwargs.pop("peak_qps")
    with pytest.raises(ValueError, match=match):
        plan_growth(peak, CAPACITY, **kwargs)  # type: ignore[arg-type]
