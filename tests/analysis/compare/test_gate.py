"""``--fail-on`` parsing and the row decision's rules, as tables."""

from __future__ import annotations

import pytest

from loadplan.analysis.compare.gate import Threshold, Verdict, decide, parse_fail_on
from loadplan.analysis.compare.stats import Difference, Figure
from loadplan.errors import PlanError


@pytest.mark.parametrize(
    ("items", "figure", "amount", "gated"),
    [
        pytest.param([], Figure.P95, 0.10, True, id="default-p95"),
        pytest.param([], Figure.ERROR_RATE, 0.0005, True, id="default-errors-points"),
        pytest.param([], Figure.THROUGHPUT, 0.02, True, id="default-throughput"),
        pytest.param([], Figure.P50, 0.10, False, id="p50-shown-not-gated"),
        pytest.param(["p99=+5%"], Figure.P99, 0.05, True, id="p99-5"),
        pytest.param(["p50=20%"], Figure.P50, 0.20, True, id="p50-gated-when-named"),
        pytest.param(["error_rate=0.1"], Figure.ERROR_RATE, 0.001, True, id="errors-0.1pt"),
        pytest.param(["error_rate=0.1pt"], Figure.ERROR_RATE, 0.001, True, id="errors-pt"),
        pytest.param(["throughput=-5%"], Figure.THROUGHPUT, 0.05, True, id="throughput-5"),
        pytest.param(["p95=off"], Figure.P95, 0.10, False, id="p95-off"),
        pytest.param(["p95=15%,p99=20%"], Figure.P99, 0.20, True, id="comma-list"),
        pytest.param([], Figure.CPU_PER_REQUEST, 0.25, True, id="default-cpu"),
        pytest.param([], Figure.TARGET_HIT_RATE, 0.02, True, id="default-target-hits-2pt"),
        pytest.param(["cpu_per_request=+15%"], Figure.CPU_PER_REQUEST, 0.15, True, id="cpu-15"),
        pytest.param(["cpu=5%"], Figure.CPU_PER_REQUEST, 0.05, True, id="cpu-alias"),
        pytest.param(["target_hit_rate=-5"], Figure.TARGET_HIT_RATE, 0.05, True, id="hits-5pt"),
        pytest.param(["target_hit_rate=off"], Figure.TARGET_HIT_RATE, 0.02, False, id="hits-off"),
    ],
)
def test_parse_fail_on(items: list[str], figure: Figure, amount: float, gated: bool) -> None:
    threshold = parse_fail_on(items)[figure]
    assert threshold.amount == pytest.approx(amount)
    assert threshold.gated is gated


@pytest.mark.parametrize(
    ("item", "message"),
    [
        pytest.param("p97=10%", "no figure 'p97'", id="unknown"),
        pytest.param("p99=-10%", r"write p99=\+10", id="wrong-direction"),
        pytest.param("throughput=+2%", "write throughput=-2", id="wrong-direction-throughput"),
        pytest.param("p99=ten", "not FIGURE=AMOUNT", id="not-a-number"),
        pytest.param("p99=10pt", "changes by a share", id="points-on-latency"),
        pytest.param("cpu=10pt", "changes by a share", id="points-on-cpu"),
        pytest.param("target_hit_rate=+2", "write target_hit_rate=-2", id="wrong-direction-hits"),
    ],
)
def test_parse_fail_on_refuses(item: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_fail_on([item])


def diff(change: float, low: float, high: float, figure: Figure = Figure.P99) -> Difference:
    return Difference(figure, 10.0, 10.0 * (1 + change), change, low, high, 5000, 5000)


GATE = Threshold(Figure.P99, 0.10, True)


@pytest.mark.parametrize(
    ("difference", "seconds", "blockers", "noise", "expected"),
    [
        pytest.param(diff(0.2, 0.1, 0.3), (30, 30), (), None, "regressed", id="past-and-clear"),
        pytest.param(diff(0.2, -0.05, 0.4), (30, 30), (), None, "no change", id="past-noisy"),
        pytest.param(diff(0.05, 0.02, 0.08), (30, 30), (), None, "no change", id="real-small"),
        pytest.param(
            diff(0.08, 0.03, 0.12), (30, 30), (), None, "no change", id="could-be-past-but-is-not"
        ),
        pytest.param(diff(0.1, 0.0, 0.2), (30, 30), (), None, "no change", id="touches-zero"),
        pytest.param(diff(-0.2, -0.3, -0.1), (30, 30), (), None, "improved", id="improved"),
        pytest.param(diff(0.2, 0.1, 0.3), (30, 5), (), None, "inconclusive", id="short"),
        pytest.param(
            diff(0.2, 0.1, 0.3), (30, 30), ("different plans",), None, "inconclusive", id="plans"
        ),
        pytest.param(diff(0.2, 0.1, 0.3), (30, 30), (), 0.15, "no change", id="under-noise"),
        pytest.param(diff(0.3, 0.2, 0.4), (30, 30), (), 0.15, "regressed", id="over-noise"),
        pytest.param(
            diff(-0.05, -0.06, -0.04, Figure.THROUGHPUT),
            (30, 30),
            (),
            None,
            "regressed",
            id="throughput-drop",
        ),
    ],
)
def test_decide(
    difference: Difference,
    seconds: tuple[int, int],
    blockers: tuple[str, ...],
    noise: float | None,
    expected: str,
) -> None:
    threshold = GATE if difference.figure is Figure.P99 else parse_fail_on(())[difference.figure]
    verdict, reason = decide(difference, threshold, seconds, blockers, noise)
    assert verdict is Verdict(expected), reason


def test_a_real_change_past_the_threshold_only_at_its_point_is_said_so() -> None:
    # P99 +21 % [+8.2 %, +30.5 %] with a +10 % threshold: real, not shown past +10 %.
    verdict, reason = decide(diff(0.21, 0.082, 0.305), GATE, (30, 30))
    assert verdict is Verdict.NO_CHANGE
    assert reason == "real; past +10% at the point, not across the interval"
