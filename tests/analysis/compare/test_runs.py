"""The noise floor of baseline runs and the gate's exit code, from rows alone."""

from __future__ import annotations

import pytest

from loadplan.analysis.compare.gate import Threshold, Verdict
from loadplan.analysis.compare.runs import Comparison, Row
from loadplan.analysis.compare.stats import Difference, Figure, noise_floor


@pytest.mark.parametrize(
    ("values", "figure", "expected"),
    [
        pytest.param({"a": 10.0, "b": 11.0, "c": 10.5}, Figure.P99, 0.1, id="relative"),
        pytest.param({"a": 0.001, "b": 0.003, "c": 0.002}, Figure.ERROR_RATE, 0.002, id="points"),
        pytest.param({"a": 10.0, "b": 11.0}, Figure.P99, None, id="two-runs"),
        pytest.param({"a": 10.0, "b": None, "c": 11.0}, Figure.P99, None, id="one-without"),
    ],
)
def test_noise_floor(
    values: dict[str, float | None], figure: Figure, expected: float | None
) -> None:
    assert noise_floor(values, figure) == (None if expected is None else pytest.approx(expected))


def row(tag: str, verdict: Verdict, gated: bool = True) -> Row:
    diff = Difference(Figure.P99, 10.0, 12.0, 0.2, 0.1, 0.3, 5000, 5000)
    return Row("sustained", tag, diff, Threshold(Figure.P99, 0.1, gated), verdict, "")


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        pytest.param([row("", Verdict.NO_CHANGE)], 0, id="no-change"),
        pytest.param([row("", Verdict.REGRESSED)], 1, id="regressed"),
        pytest.param(
            [row("", Verdict.NO_CHANGE), row("", Verdict.REGRESSED, gated=False)],
            0,
            id="regressed-not-gated",
        ),
        pytest.param(
            [row("", Verdict.NO_CHANGE), row("lang=ja", Verdict.REGRESSED)], 1, id="a-tag-regressed"
        ),
        pytest.param([row("", Verdict.INCONCLUSIVE)], 3, id="inconclusive"),
        pytest.param(
            [row("", Verdict.INCONCLUSIVE), row("", Verdict.REGRESSED)], 1, id="regression-wins"
        ),
        pytest.param(
            [row("", Verdict.NO_CHANGE), row("lang=ja", Verdict.INCONCLUSIVE)],
            0,
            id="a-rare-tag-inconclusive",
        ),
        pytest.param([], 3, id="nothing-compared"),
    ],
)
def test_exit_code(rows: list[Row], code: int) -> None:
    comparison = Comparison("base", "new", tuple(rows), (), (), 0.95)
    assert comparison.exit_code == code
