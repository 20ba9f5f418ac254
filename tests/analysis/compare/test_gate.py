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
        pytest.param([], Figure.CPU_PER_REQUEST, 0.25, False, id="cpu-shown-not-gated"),
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
            diff(0.08, 0.03, 0.12), (30, 30), (), None, "regressed", id="real-reaches-threshold"
        ),
        pytest.param(
            diff(0.095, 0.09, 0.099), (30, 30), (), None, "no change", id="real-shown-just-under"
        ),
        pytest.param(diff(0.1, 0.0, 0.2), (30, 30), (), None, "no change", id="touches-zero"),
        pytest.param(diff(-0.2, -0.3, -0.1), (30, 30), (), None, "improved", id="improved"),
        pytest.param(
            diff(-0.08, -0.12, -0.03), (30, 30), (), None, "improved", id="improved-reaches"
        ),
        pytest.param(
            diff(-0.05, -0.08, -0.02), (30, 30), (), None, "no change", id="improved-shown-under"
        ),
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


@pytest.mark.parametrize(
    ("difference", "noise", "expected", "reason"),
    [
        pytest.param(
            diff(0.21, 0.082, 0.305),
            None,
            Verdict.REGRESSED,
            "past +10%, interval clear of no change",
            id="point-past",
        ),
        pytest.param(
            diff(0.094, 0.089, 0.102),
            None,
            Verdict.REGRESSED,
            "not shown within +10%, interval clear of no change",
            id="point-short-interval-reaches",
        ),
        pytest.param(
            diff(0.06, 0.055, 0.066),
            None,
            Verdict.NO_CHANGE,
            "real, but shown within +10%",
            id="shown-under",
        ),
        pytest.param(
            diff(0.094, 0.089, 0.102),
            0.09,
            Verdict.NO_CHANGE,
            "interval holds noise floor 9.0%",
            id="inside-noise-floor",
        ),
    ],
)
def test_a_real_change_fails_unless_shown_within_the_threshold(
    difference: Difference, noise: float | None, expected: Verdict, reason: str
) -> None:
    """The burden of proof is on the new build: a real change whose interval reaches the
    threshold fails with its point short of it, and the reason says which case it is."""
    verdict, why = decide(difference, GATE, (30, 30), noise=noise)
    assert (verdict, why) == (expected, reason)
