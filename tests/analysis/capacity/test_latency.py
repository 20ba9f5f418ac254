"""Latency at a load: the measured steps first (monotone, interpolated), a model only beyond
them and only when given one."""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.bottleneck import StepFacts
from loadplan.analysis.capacity.latency import latency_curve
from loadplan.analysis.capacity.queueing import QueueModel
from loadplan.analysis.capacity.waiting import NoWaitLatency

# 200 req/s came out faster than 100 (noise): the curve keeps 100's P95 there.
STEPS = [
    ("r:s-1", StepFacts("s-1", 200.0, 200.0, 8.0, 30.0, 0.0)),
    ("r:s-0", StepFacts("s-0", 100.0, 100.0, 10.0, 20.0, 0.0)),
    ("r:s-2", StepFacts("s-2", 300.0, 300.0, 40.0, 60.0, 0.0)),
    ("r:s-3", StepFacts("s-3", 400.0, 0.0, None, None, None)),  # no answers: left out
]
# With no wait: P50 5 ms, P95 10 ms, P99 20 ms.
NO_WAIT = NoWaitLatency((5.0, 10.0, 20.0), (0.5, 0.45, 0.05))
MODEL = QueueModel(4, 100.0, 1.0, NO_WAIT, ("r:s-0",), 0.0)


@pytest.mark.parametrize(
    ("qps", "p95", "p99", "source", "text"),
    [
        (50.0, 10.0, 20.0, "lowest step", "measured at r:s-0 (100 req/s), the lowest step"),
        (100.0, 10.0, 20.0, "measured", "measured at r:s-0 (100 req/s)"),
        (150.0, 10.0, 25.0, "interpolated",
         "interpolated between r:s-0 (100 req/s) and r:s-1 (200 req/s)"),
        (250.0, 25.0, 45.0, "interpolated",
         "interpolated between r:s-1 (200 req/s) and r:s-2 (300 req/s)"),
        (300.0, 40.0, 60.0, "measured", "measured at r:s-2 (300 req/s)"),
        (350.0, None, None, "none",
         "beyond the highest step, r:s-2 (300 req/s): not predicted (no validated model)"),
    ],
    ids=["below", "at-lowest", "between", "between-noisy", "at-top", "beyond"],
)  # fmt: skip
def test_measured_steps_answer_inside_their_range(
    qps: float, p95: float | None, p99: float | None, source: str, text: str
) -> None:
    got = latency_curve(STEPS).at(qps)
    assert got.p95_ms == pytest.approx(p95)
    assert got.p99_ms == pytest.approx(p99)
    assert (got.source, got.text) == (source, text)


def test_a_model_speaks_only_beyond_the_steps() -> None:
    curve = latency_curve(STEPS, MODEL)
    inside = curve.at(250.0)
    assert inside.source == "interpolated"
    assert inside.p95_ms == pytest.approx(25.0)
    beyond = curve.at(350.0)
    assert beyond.source == "model"
    assert beyond.p95_ms == MODEL.percentile_ms(350.0, 95.0)
    assert beyond.p99_ms == MODEL.percentile_ms(350.0, 99.0)


def test_no_steps_no_latency() -> None:
    got = latency_curve([]).at(100.0)
    assert (got.p95_ms, got.source) == (None, "none")
