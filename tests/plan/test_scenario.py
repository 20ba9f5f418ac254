"""Stages in a plan -> one labelled rate profile and what each stage is judged on (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.errors import PlanError
from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario
from loadplan.plan.stages import StageKind

TARGET = {"url": "http://127.0.0.1:8080"}


def plan_with(*stages: dict[str, Any], **extra: Any) -> Plan:
    data = {"target": TARGET, "load": {"duration": 1}, "stages": list(stages), **extra}
    return Plan.model_validate(data)


CHAIN = plan_with(
    {"name": "baseline", "type": "constant", "rate": 10, "duration": "10s"},
    {"name": "ramp-up", "type": "ramp", "from": 10, "to": 110, "duration": "10s"},
    {"name": "stairs", "type": "step", "from": 100, "to": 300, "step": 100, "step_duration": 5},
    {"type": "soak", "rate": 200, "duration": "20s"},
    {"type": "spike", "rate": 200, "factor": 3, "hold": "5s", "recovery": "10s"},
    {"name": "cold", "type": "constant", "rate": 50, "duration": 5, "flush_cache": True},
    {"type": "breakpoint", "from": 100, "to": 200, "step": 50, "step_duration": "4s"},
    slo={"p95": "300ms"},
)
SCENARIO = Scenario.from_plan(CHAIN)


@pytest.mark.parametrize(
    ("t", "rate", "label"),
    [
        (0.0, 10.0, "baseline"),
        (9.9, 10.0, "baseline"),
        (15.0, 60.0, "ramp-up"),
        (20.0, 100.0, "stairs-0"),
        (26.0, 200.0, "stairs-1"),
        (34.9, 300.0, "stairs-2"),
        (35.0, 200.0, "soak"),
        (55.0, 600.0, "spike"),
        (60.0, 200.0, "spike-recovery"),
        (70.0, 50.0, "cold"),
        (75.0, 100.0, "breakpoint-0"),
        (83.0, 200.0, "breakpoint-2"),
        (87.0, 0.0, ""),
    ],
    ids=[
        "baseline", "baseline-end", "ramp-mid", "step-0", "step-1", "step-2", "soak", "spike",
        "recovery", "cold", "breakpoint-0", "breakpoint-2", "after",
    ],
)  # fmt: skip
def test_chained_profile_is_a_pure_function_of_time(t: float, rate: float, label: str) -> None:
    assert SCENARIO.profile is not None
    assert SCENARIO.profile.rate(t) == pytest.approx(rate)
    assert SCENARIO.profile.label_at(t) == label


@pytest.mark.parametrize(
    ("name", "kind", "start", "end", "judged", "extra"),
    [
        ("baseline", StageKind.CONSTANT, 0, 10, True, {}),
        ("ramp-up", StageKind.RAMP, 10, 20, True, {}),
        ("stairs", StageKind.STEP, 20, 35, True, {}),
        ("soak", StageKind.SOAK, 35, 55, True, {}),
        ("spike", StageKind.SPIKE, 55, 70, False, {"spike_end_s": 60.0}),
        ("cold", StageKind.CONSTANT, 70, 75, True, {"flush_cache": True}),
        ("breakpoint", StageKind.BREAKPOINT, 75, 87, False, {"consecutive": 3}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_stage_plans(
    name: str, kind: StageKind, start: float, end: float, judged: bool, extra: dict[str, Any]
) -> None:
    stage = next(s for s in SCENARIO.stages if s.name == name)
    assert (stage.kind, stage.start_s, stage.end_s, stage.judged) == (kind, start, end, judged)
    for key, value in extra.items():
        assert getattr(stage, key) == value
    assert all(SCENARIO.stage_of(label) is stage for label in stage.labels)


def test_breakpoint_steps_and_rates() -> None:
    stage = SCENARIO.breakpoint
    assert stage is not None
    assert stage.labels == ("breakpoint-0", "breakpoint-1", "breakpoint-2")
    assert stage.rate_of("breakpoint-1") == (150.0, 150.0)


def test_load_alone_is_one_constant_stage() -> None:
    plan = Plan.model_validate({"target": TARGET, "load": {"rate": 50, "duration": "3s"}})
    scenario = Scenario.from_plan(plan)
    assert [(s.name, s.labels, s.end_s) for s in scenario.stages] == [
        ("constant", ("constant",), 3.0)
    ]
    assert scenario.profile is not None
    assert scenario.profile.total_hits == 150


def test_closed_loop_has_no_profile() -> None:
    plan = Plan.model_validate(
        {"target": TARGET, "load": {"mode": "closed", "users": 4, "duration": 5}}
    )
    scenario = Scenario.from_plan(plan)
    assert scenario.profile is None
    assert scenario.stages[0].labels == ("closed",)


def test_a_stage_slo_flag_overrides_the_default() -> None:
    plan = plan_with(
        {"type": "constant", "rate": 1, "duration": 1, "slo": False},
        {"type": "spike", "rate": 1, "hold": 1, "recovery": 1, "slo": True},
    )
    assert [s.judged for s in Scenario.from_plan(plan).stages] == [False, True]


def test_labels_that_collide_are_a_plan_error() -> None:
    plan = plan_with(
        {"name": "spike-recovery", "type": "constant", "rate": 1, "duration": 1},
        {"type": "spike", "rate": 1, "hold": 1, "recovery": 1},
    )
    with pytest.raises(PlanError, match="labelled 'spike-recovery'"):
        Scenario.from_plan(plan)
