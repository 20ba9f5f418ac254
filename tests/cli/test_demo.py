"""The demo's plan is examples/reference-service.toml itself, scaled; no service is started here."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.cli.demo import DEMO_RATE, demo_overrides, demo_plan, scaling_note
from loadplan.cli.suite import describe_stage
from loadplan.plan.load import load_plan
from loadplan.plan.scenario import Scenario
from loadplan.scenarios.suite import with_suite_stages

REPO = Path(__file__).resolve().parents[2]


def test_the_packaged_plan_is_the_example() -> None:
    with demo_plan() as path:
        packaged = path.read_text(encoding="utf-8")
    assert packaged == (REPO / "examples" / "reference-service.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("duration", "sustained", "total_max"),
    [("60s", "sustained 1m @500/s", 190), ("2h", "sustained 2h @500/s", 7330)],
    ids=["default", "full-length"],
)
def test_demo_scales_the_example(duration: str, sustained: str, total_max: float) -> None:
    with demo_plan() as path:
        overrides = demo_overrides("http://127.0.0.1:5", "tok", DEMO_RATE, duration, Path("r"))
        plan, source = load_plan(path, overrides)
    plan = with_suite_stages(plan, source)
    scenario = Scenario.from_plan(plan)
    described = [describe_stage(s) for s in scenario.stages]
    assert described[:3] == ["baseline 10s @50/s", "ramp-up 10s 50->500/s", sustained]
    assert described[3] == "spike 10s @1000/s, recovery 20s @500/s"
    assert described[-1] == "breakpoint 500->6000/s in 12 steps of 5s"
    assert scenario.duration_s == total_max
    assert plan.target.url == "http://127.0.0.1:5"
    assert plan.admin.headers == {"Authorization": "Bearer tok"}
    assert plan.slo is not None
    assert plan.slo.latency_bounds() == {"p95": 300.0, "p99": 500.0}


def test_the_demo_says_its_rates_were_scaled_and_why() -> None:
    note = scaling_note(DEMO_RATE, "60s")
    assert note.startswith("rates scaled for this machine: the sign-off")
    assert "1000 req/s for 2h" in note
    assert "--duration 2h" in note
