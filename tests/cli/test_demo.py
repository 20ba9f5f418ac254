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
    [("60s", "sustained 1m @1000/s", 256), ("2h", "sustained 2h @1000/s", 7396)],
    ids=["default", "full-length"],
)
def test_demo_scales_the_example(duration: str, sustained: str, total_max: float) -> None:
    with demo_plan() as path:
        overrides = demo_overrides("http://127.0.0.1:5", "tok", DEMO_RATE, duration, Path("r"))
        plan, source = load_plan(path, overrides)
    plan = with_suite_stages(plan, source)
    scenario = Scenario.from_plan(plan)
    described = [describe_stage(s) for s in scenario.stages]
    # The sign-off's own rates (1000 sustained, a 2000 spike), shortened in time only.
    assert described[:3] == ["baseline 10s @100/s", "ramp-up 10s 100->1000/s", sustained]
    assert described[3] == "spike 10s @2000/s, recovery 20s @1000/s"
    assert described[-1] == "breakpoint 1000->6000/s in 21 steps of 6s"
    assert scenario.duration_s == total_max
    assert plan.target.url == "http://127.0.0.1:5"
    assert plan.admin.headers == {"Authorization": "Bearer tok"}
    assert plan.slo is not None
    assert plan.slo.latency_bounds() == {"p95": 300.0, "p99": 500.0}


@pytest.mark.parametrize(
    ("pinned", "where"),
    [
        (True, "the reference service has a core of its own and the generator the other"),
        (False, "the reference service and the generator share this machine's core"),
    ],
    ids=["two-cores", "one-core"],
)
def test_the_demo_says_what_it_changed_and_only_what_it_knows(pinned: bool, where: str) -> None:
    note = scaling_note(DEMO_RATE, "60s", pinned)
    assert note.startswith("the sign-off in examples/reference-service.toml is 1000 req/s for 2h")
    assert "the sign-off's own rates (sustained 1000 req/s, spike 2000)" in note
    assert where in note
    assert "--duration 2h" in note
    # No capacity figure it did not measure in this run.
    assert "3500" not in note
