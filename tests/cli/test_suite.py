"""The stage line ``loadplan suite`` and ``loadplan run`` print before a staged run starts."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.cli.suite import describe_stage
from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario


def described(*stages: dict[str, Any], **load: Any) -> list[str]:
    plan = Plan.model_validate(
        {"target": {"url": "http://127.0.0.1:9"}, "load": {"duration": 1, **load},
         "stages": list(stages)}
    )  # fmt: skip
    return [describe_stage(stage) for stage in Scenario.from_plan(plan).stages]


@pytest.mark.parametrize(
    ("stage", "load", "expected"),
    [
        (
            {"type": "sweep", "users_from": 1, "users_to": 32, "users_factor": 2,
             "step_duration": "10s"},
            {},
            "sweep 1->32 users in 6 steps of 10s",
        ),
        (
            {"name": "usl", "type": "sweep", "users_from": 2, "users_to": 8, "users_step": 2,
             "step_duration": 2, "think": "100ms", "flush_cache": True},
            {},
            "usl 2->8 users in 4 steps of 2s, think 100ms (cache flushed first)",
        ),
        (
            {"type": "sweep", "users_from": 4, "users_to": 4, "users_step": 1,
             "step_duration": "1m"},
            {"think": "5ms"},
            "sweep 1m @4 users, think 5ms",
        ),
        (
            {"type": "breakpoint", "from": 100, "to": 300, "step": 100, "step_duration": "30s"},
            {},
            "breakpoint 100->300/s in 3 steps of 30s",
        ),
        ({"type": "constant", "rate": 50, "duration": "2m"}, {}, "constant 2m @50/s"),
    ],
    ids=["sweep-doubling", "sweep-named-with-think", "one-step-think-from-load", "rate-steps",
         "constant"],
)  # fmt: skip
def test_describe_stage(stage: dict[str, Any], load: dict[str, Any], expected: str) -> None:
    assert described(stage, **load) == [expected]
