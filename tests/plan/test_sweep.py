"""Sweep stages: the users of each step, the plan's errors naming file:line, and the scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loadplan.errors import PlanError
from loadplan.plan.load import load_plan
from loadplan.plan.model import Mode, Plan
from loadplan.plan.scenario import Scenario
from loadplan.plan.stages import StageKind, SweepStage, user_levels

HEAD = """\
[target]
url = "http://127.0.0.1:8080"
[load]
duration = "30s"
"""

SWEEP = """\
[[stages]]
type = "sweep"
users_from = 1
users_to = 32
users_factor = 2
step_duration = "10s"
"""

RATE = """\
[[stages]]
type = "constant"
rate = 5
duration = 1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("start", "end", "step", "factor", "expected"),
    [
        (1, 32, None, 2.0, (1, 2, 4, 8, 16, 32)),
        (1, 40, None, 2.0, (1, 2, 4, 8, 16, 32)),
        (1, 9, None, 1.5, (1, 2, 3, 4, 6, 9)),
        (3, 10, None, 3.0, (3, 9)),
        (2, 8, 2, None, (2, 4, 6, 8)),
        (1, 10, 4, None, (1, 5, 9)),
        (5, 5, 1, None, (5,)),
        (1, 2, 5, None, (1,)),
    ],
    ids=[
        "doubling", "doubling-stops-below-to", "factor-adds-at-least-one", "tripling",
        "adding", "adding-stops-below-to", "one-step", "step-past-to",
    ],
)  # fmt: skip
def test_user_levels(
    start: int, end: int, step: int | None, factor: float | None, expected: tuple[int, ...]
) -> None:
    assert user_levels(start, end, step, factor) == expected


@pytest.mark.parametrize(
    ("change", "users", "think"),
    [
        (("", ""), (1, 2, 4, 8, 16, 32), None),
        (("users_factor = 2", "users_step = 10"), (1, 11, 21, 31), None),
        (('"10s"', '"10s"\nthink = "100ms"'), (1, 2, 4, 8, 16, 32), 0.1),
        (("users_to = 32", "users_to = 1"), (1,), None),
    ],
    ids=["factor", "step", "think", "single-step"],
)
def test_a_good_sweep(
    tmp_path: Path, change: tuple[str, str], users: tuple[int, ...], think: float | None
) -> None:
    plan, _ = load_plan(write(tmp_path, HEAD + SWEEP.replace(*change)), {})
    (stage,) = plan.stages
    assert isinstance(stage, SweepStage)
    assert (stage.users, stage.step_duration, stage.think) == (users, 10.0, think)
    assert plan.loop is Mode.CLOSED
    assert plan.load.mode is Mode.OPEN  # as written; the stages make the run closed-loop


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("users_factor = 2", "users_factor = 2\nusers_step = 3"),
            (
                "plan.toml:5 stages[0]: give users_step (users added per step, e.g. 4) or "
                "users_factor (users multiplied per step, e.g. 2), one of the two"
            ),
        ),
        (("users_factor = 2\n", ""), "plan.toml:5 stages[0]: give users_step"),
        (
            ("users_from = 1", "users_from = 40"),
            "plan.toml:5 stages[0]: users_to = 32 is below users_from = 40; a sweep goes up",
        ),
        (
            ("users_from = 1", "users_from = 0"),
            "plan.toml:7 stages[0].users_from = 0: Input should be greater than or equal to 1",
        ),
        (("users_to = 32", "users_to = 200000"), "plan.toml:8 stages[0].users_to = 200000:"),
        (
            ("users_factor = 2", "users_step = 1.5"),
            "plan.toml:9 stages[0].users_step = 1.5: Input should be a valid integer",
        ),
        (
            ("users_factor = 2", "users_factor = 1"),
            "plan.toml:9 stages[0].users_factor = 1: Input should be greater than 1",
        ),
        (
            ('"10s"', '"2.5s"'),
            (
                "plan.toml:10 stages[0].step_duration = '2.5s': a sweep step lasts whole seconds "
                '(each recorded second is at one concurrency); use e.g. "2s"'
            ),
        ),
        (('"10s"', '"500ms"'), "plan.toml:10 stages[0].step_duration = 0.5: Input should be"),
        (
            ("users_to = 32\nusers_factor = 2", "users_to = 5000\nusers_step = 1"),
            "plan.toml:5 stages[0]: 5000 steps; at most 1000: raise users_step or lower users_to",
        ),
        (('"10s"', '"10s"\nthink = "soon"'), "plan.toml:11 stages[0].think = 'soon': not a"),
        (("users_to", "user_to"), "plan.toml:8 stages[0].user_to: unknown field"),
    ],
    ids=[
        "step-and-factor", "neither-step-nor-factor", "users-down", "no-users", "too-many-users",
        "fractional-step", "factor-one", "fractional-seconds", "under-a-second", "too-many-steps",
        "bad-think", "typo",
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, (HEAD + SWEEP).replace(*change, 1)), {})
    assert any(expected in line for line in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + SWEEP + RATE,
            (
                "plan.toml:6 stages[0].type = 'sweep': stages[1] is a 'constant' stage, which sets "
                "a rate; a sweep runs closed-loop users, so put it in a plan of its own"
            ),
        ),
        (
            HEAD + RATE + SWEEP,
            (
                "plan.toml:10 stages[1].type = 'sweep': stages[0] is a 'constant' stage, which "
                "sets a rate; a sweep runs closed-loop users, so put it in a plan of its own"
            ),
        ),
        (
            HEAD.replace('duration = "30s"', 'mode = "closed"\nusers = 4') + SWEEP,
            (
                "plan.toml:4 load.mode = 'closed': the sweep stages run closed-loop users of their "
                "own; remove load.mode and load.users"
            ),
        ),
        (
            HEAD.replace('duration = "30s"', "users = 4") + SWEEP,
            "plan.toml:4 load.users = 4: the sweep stages set the users; remove load.users",
        ),
    ],
    ids=["sweep-then-rate", "rate-then-sweep", "closed-mode", "load-users"],
)
def test_cross_table_checks(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, text), {})
    assert info.value.problems == [str(tmp_path) + "/" + expected]


def sweep_plan(*stages: dict[str, Any], **load: Any) -> Plan:
    data = {
        "target": {"url": "http://127.0.0.1:8080"},
        "load": {"duration": 1, **load},
        "stages": [{"type": "sweep", **stage} for stage in stages],
    }
    return Plan.model_validate(data)


def test_sweep_steps_are_labelled_with_their_users_and_spans() -> None:
    plan = sweep_plan(
        {"users_from": 2, "users_to": 8, "users_step": 3, "step_duration": 2},
        {"name": "again", "users_from": 1, "users_to": 4, "users_factor": 2, "step_duration": 3,
         "think": "50ms", "slo": True},
        think="10ms",
    )  # fmt: skip
    scenario = Scenario.from_plan(plan)
    assert scenario.profile is None
    assert scenario.duration_s == 6 + 9
    first, second = scenario.stages
    assert (first.name, first.kind, first.judged, first.think_s) == (
        "sweep", StageKind.SWEEP, False, 0.01,
    )  # fmt: skip
    assert first.labels == ("sweep-0", "sweep-1", "sweep-2")
    assert first.users == (2, 5, 8)
    assert first.spans == ((0, 2), (2, 4), (4, 6))
    assert (second.start_s, second.end_s, second.judged, second.think_s) == (6, 15, True, 0.05)
    assert second.labels == ("again-0", "again-1", "again-2")
    assert second.users == (1, 2, 4)
    assert second.spans == ((6, 9), (9, 12), (12, 15))
    assert (second.users_of("again-2"), second.span_of("again-2")) == (4, (12, 15))
    assert second.rates == ()
    assert scenario.stage_of("again-1") is second


def test_a_rate_stage_has_no_users_and_its_spans_follow_the_profile() -> None:
    plan = Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:8080"},
            "load": {"duration": 1},
            "stages": [
                {"type": "constant", "rate": 5, "duration": 4},
                {"type": "spike", "rate": 5, "hold": 2, "recovery": 3},
            ],
        }
    )
    constant, spike = Scenario.from_plan(plan).stages
    assert constant.users_of("constant") is None
    assert spike.spans == ((4, 6), (6, 9))


def test_a_plain_closed_loop_is_one_step_of_its_users() -> None:
    plan = Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:8080"},
            "load": {"mode": "closed", "users": 6, "think": "5ms", "duration": 4},
        }
    )
    (stage,) = Scenario.from_plan(plan).stages
    assert (stage.labels, stage.users, stage.spans, stage.think_s) == (
        ("closed",), (6,), ((0, 4),), 0.005,
    )  # fmt: skip


def test_a_scenario_refuses_sweeps_beside_rates_even_without_the_plan_checks() -> None:
    plan = Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:8080"},
            "load": {"duration": 1},
            "stages": [
                {"type": "sweep", "users_from": 1, "users_to": 2, "users_step": 1,
                 "step_duration": 1},
                {"type": "constant", "rate": 5, "duration": 1},
            ],
        }
    )  # fmt: skip
    with pytest.raises(PlanError, match="a sweep runs closed-loop users; put it in a plan"):
        Scenario.from_plan(plan)
