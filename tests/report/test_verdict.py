"""report/verdict.py: whatever verdict summary.json holds becomes table rows and plot bounds."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.report.verdict import read_verdict


def test_no_verdict_key_means_no_objectives() -> None:
    assert read_verdict({"complete": True}) is None


@pytest.mark.parametrize(
    ("raw", "passed", "rows"),
    [
        pytest.param(
            {"pass": True, "rows": [{"objective": "p95", "stage": "ramp", "bound": 300,
                                     "measured": 120.5, "unit": "ms", "pass": True}]},
            True, [("p95", "ramp", "300 ms", "120.5 ms", True)], id="dict-with-rows",
        ),
        pytest.param(
            [{"name": "p99", "bound": "500ms", "measured": "510ms", "passed": False}],
            False, [("p99", "run", "500ms", "510ms", False)], id="bare-list-passed-key",
        ),
        pytest.param(
            {"objectives": [{"objective": "errors", "bound": 0.001, "measured": None}]},
            None, [("errors", "run", "0.001", "-", None)], id="objectives-key-unknown-pass",
        ),
        pytest.param({"pass": False}, False, [], id="no-rows"),
        pytest.param("garbage", None, [], id="not-a-table"),
    ],
)  # fmt: skip
def test_verdict_rows_render_whatever_the_checker_wrote(
    raw: Any, passed: bool | None, rows: list[tuple[str, str, str, str, bool | None]]
) -> None:
    verdict = read_verdict({"verdict": raw})
    assert verdict is not None
    assert verdict.passed is passed
    assert [(r.objective, r.stage, r.bound, r.measured, r.passed) for r in verdict.rows] == rows


@pytest.mark.parametrize(
    ("row", "bound"),
    [
        pytest.param({"objective": "latency p95", "bound": 300}, (95.0, 300.0), id="ms-default"),
        pytest.param({"objective": "P99", "bound": 0.5, "unit": "s"}, (99.0, 500.0), id="seconds"),
        pytest.param({"objective": "p99.9", "bound": "1.5s"}, (99.9, 1500.0), id="text-unit"),
        pytest.param({"objective": "p50", "bound_ms": 80, "unit": "s"}, (50.0, 80.0), id="in-ms"),
        pytest.param({"objective": "p95", "bound": "soon"}, None, id="unreadable"),
        pytest.param({"objective": "error rate", "bound": 0.1}, None, id="not-latency"),
        pytest.param({"objective": "p95", "bound": -3}, None, id="negative"),
        pytest.param(
            {"objective": "p95 latency", "bound": "<= 300 ms", "limit": 300.0},
            (95.0, 300.0),
            id="suite-row",
        ),
        pytest.param(
            {"objective": "p95 drift", "bound": "<= 30 ms rise", "limit": 30.0},
            None,
            id="drift-is-not-a-bound",
        ),
    ],
)  # fmt: skip
def test_latency_bounds_for_the_plots(
    row: dict[str, Any], bound: tuple[float, float] | None
) -> None:
    verdict = read_verdict({"verdict": [row]})
    assert verdict is not None
    got = [(b.percentile, b.bound_ms) for b in verdict.latency_bounds()]
    assert got == ([bound] if bound else [])
