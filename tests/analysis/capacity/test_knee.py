"""The knee on an M/D/8 staircase: P99 leaves its low-load value first, then P95."""

from __future__ import annotations

from loadplan.analysis.capacity.knee import find_knee
from tests.analysis.capacity.support import simulated_step, staircase

RATES = [100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 340.0, 380.0]


def test_p95_turns_before_the_capacity_and_the_tail_moves_first() -> None:
    knee = find_knee(staircase(RATES))
    assert knee.qps is not None
    assert 280 <= knee.qps <= 380  # the queue's P95 bends between 70 % and 95 % of 400 req/s
    assert knee.first_metric == "p99"
    assert knee.moved["p99"] is not None
    assert knee.moved["p99"] <= knee.qps
    assert knee.step.startswith("sim:stairs-")
    assert "first to move: p99" in knee.to_json()["text"]


def test_a_flat_curve_has_no_knee() -> None:
    knee = find_knee(staircase([100.0, 120.0, 140.0]))
    assert knee.qps is None
    assert knee.to_json()["text"].startswith("P95 stayed within 1.5x")


def test_errors_can_move_first() -> None:
    steps = [simulated_step(0, 100.0), simulated_step(1, 120.0, errors_per_second=3)]
    assert find_knee(steps).first_metric == "error rate"
