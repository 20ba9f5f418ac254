"""report/capacity.py and the terminal's short form: a refused latency model is one line with
its numbers and draws no curve; growth rows say the steps their latency was read from; the CPU
bound is printed as an upper bound."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from loadplan.analysis.capacity.bottleneck import StepFacts
from loadplan.analysis.capacity.latency import latency_curve
from loadplan.analysis.capacity.maxqps import max_qps
from loadplan.analysis.capacity.sizing import plan_growth
from loadplan.analysis.capacity.utilisation import cpu_bound
from loadplan.analysis.capacity.validation import check_model
from loadplan.cli.capacity import render_plan
from loadplan.plan.slo import SloSpec
from loadplan.report.capacity import _growth, _latency, _max_qps, headline
from loadplan.report.document import Alert, Paragraph, Table

SLO = SloSpec(p95=0.300, p99=0.500)


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    """A capacity.json made from the collapsing staircase, as plan.py assembles it."""
    from tests.analysis.capacity.support import collapsing

    steps = collapsing()
    found = max_qps(steps, SLO)
    check = check_model(steps, found, SLO)
    facts = []
    for step in steps:
        fig = step.figures()
        facts.append(
            StepFacts(
                step.label,
                fig.offered_qps,
                fig.achieved_qps,
                fig.percentile_ms(95),
                fig.percentile_ms(99),
                0.0,
                cpu_cores=fig.achieved_qps / 4000,
                breaks=("p95",) if fig.offered_qps > found.value else (),
            )
        )
    sourced = [(s.source, f) for s, f in zip(steps, facts, strict=True)]
    rows = plan_growth(900.0, found, latency_curve(sourced, check.usable))
    cpu = cpu_bound(sourced)
    assert cpu is not None
    return {
        "max_qps_under_slo": found.to_json(),
        "prediction": check.to_json(curve_to=4000.0),
        "cpu_bound": cpu.to_json(),
        "plan": [r.to_json() for r in rows],
        "redundancy": 1,
        "steps": [f.to_json() | {"source": s} for s, f in sourced],
        "slo_ms": SLO.latency_bounds(),
    }


def test_a_refused_model_is_one_warning_and_no_curve(plan: dict[str, Any]) -> None:
    blocks = list(_latency(plan))
    (alert,) = [b for b in blocks if isinstance(b, Alert)]
    assert alert.level == "warning"
    assert alert.text.startswith("latency model refused: the 6 steps <= 60% do not pin it: ")
    assert "curve" not in plan["prediction"]


def test_growth_rows_name_the_steps_their_latency_came_from(plan: dict[str, Any]) -> None:
    (table,) = [b for b in _growth(plan) if isinstance(b, Table)]
    column = table.columns.index("latency from")
    by_growth = {row[0]: row[column] for row in table.rows}
    # 900 req/s a day on 2 instances: 450 each, below the lowest step (500 req/s) at 1x.
    assert by_growth["1x"] == "measured at ref:stairs-0 (500 req/s), the lowest step"
    assert by_growth["2x"] == (
        "interpolated between ref:stairs-1 (750 req/s) and ref:stairs-2 (1,000 req/s)"
    )
    line = headline(plan)
    assert line.startswith("2x growth: 2 instances (N+1), each at 900 req/s, P95 ")
    assert " ms interpolated (max 3,325 req/s per instance under the SLA)" in line


def test_the_cpu_bound_is_an_upper_bound(plan: dict[str, Any]) -> None:
    texts = [b.text for b in _max_qps(plan) if isinstance(b, Paragraph)]
    assert texts[-1].startswith("CPU allows at most 4,000 req/s per instance at 0.250 ms CPU")
    assert texts[-1].endswith("an upper bound, not the capacity.")


def test_the_terminal_says_it_in_one_line(plan: dict[str, Any]) -> None:
    out = io.StringIO()
    render_plan(plan | {"knee": None, "bottleneck": None}, Console(file=out, width=100))
    lines = out.getvalue().splitlines()
    refused = [line for line in lines if line.startswith("latency model refused: ")]
    assert refused == [plan["prediction"]["text"]]
    assert sum(line.startswith("CPU allows at most 4,000 req/s") for line in lines) == 1
