"""The one line that says what a run's stages will do, printed before a run or suite starts.

Its own module because ``loadplan run`` (a plan with ``[[stages]]``), ``suite`` and ``demo`` all
print it, and none of them should import another's command module for it.
"""

from __future__ import annotations

from rich.console import Console

from loadplan.plan.scenario import Scenario, StagePlan
from loadplan.units import format_duration


def describe_stage(stage: StagePlan) -> str:
    """``sustained 2h @1000/s``, ``breakpoint 1000->4000/s in 13 steps of 1m``,
    ``sweep 1->32 users in 6 steps of 10s``, ..."""
    length = format_duration(stage.duration_s)
    if stage.users:
        return _describe_users(stage, length) + (
            " (cache flushed first)" if stage.flush_cache else ""
        )
    lo, hi = stage.rates[0][0], stage.rates[-1][1]
    if len(stage.labels) > 1 and stage.spike_end_s is None:
        step = format_duration(stage.duration_s / len(stage.labels))
        text = f"{stage.name} {lo:g}->{hi:g}/s in {len(stage.labels)} steps of {step}"
    elif stage.spike_end_s is not None:
        hold = format_duration(stage.spike_end_s - stage.start_s)
        recovery = format_duration(stage.end_s - stage.spike_end_s)
        text = f"{stage.name} {hold} @{lo:g}/s, recovery {recovery} @{hi:g}/s"
    elif lo != hi:
        text = f"{stage.name} {length} {lo:g}->{hi:g}/s"
    else:
        text = f"{stage.name} {length} @{lo:g}/s"
    return text + (" (cache flushed first)" if stage.flush_cache else "")


def _describe_users(stage: StagePlan, length: str) -> str:
    think = f", think {format_duration(stage.think_s)}" if stage.think_s else ""
    lo, hi = stage.users[0], stage.users[-1]
    if len(stage.users) == 1:
        return f"{stage.name} {length} @{lo} users{think}"
    step = format_duration(stage.duration_s / len(stage.users))
    return f"{stage.name} {lo}->{hi} users in {len(stage.users)} steps of {step}{think}"


def print_stages(scenario: Scenario, console: Console) -> None:
    console.print(
        "stages: " + " · ".join(describe_stage(s) for s in scenario.stages),
        highlight=False,
        soft_wrap=True,
    )
