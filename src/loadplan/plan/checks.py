"""Checks that span tables, run after each table has validated on its own.

pydantic validates a table at a time; whether ``[load]`` needs a rate depends on ``[[stages]]``,
and whether a breakpoint can stop depends on ``[slo]``. Each problem is one line naming
``file:line field`` and the fix, like the per-table errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadplan.plan.model import Mode, Plan
from loadplan.plan.source import PlanSource, format_field
from loadplan.plan.stages import BreakpointStage, SweepStage


def _where(source: PlanSource | None, path: Sequence[str | int]) -> str:
    field = format_field(path)
    return f"{source.where(path)} {field}" if source is not None else field


def check_plan(plan: Plan, source: PlanSource | None) -> list[str]:
    """One line per cross-table problem; empty when the plan hangs together."""
    problems: list[str] = []
    if plan.load.mode is Mode.OPEN and plan.load.rate is None and not plan.stages:
        hint = "set load.rate (requests per second), pass --rate, or give [[stages]]"
        where = _where(source, ("load", "rate"))
        problems.append(f"{where}: missing; open loop needs a rate: {hint}")
    problems += _sweep_problems(plan, source)
    names: dict[str, int] = {}
    for i, stage in enumerate(plan.stages):
        name = stage.name or stage.type
        if name in names:
            problems.append(
                f"{_where(source, ('stages', i, 'name'))} = {name!r}: stages[{names[name]}] has "
                'that name too; give each stage its own name = "..."'
            )
        names.setdefault(name, i)
        if isinstance(stage, BreakpointStage):
            if i != len(plan.stages) - 1:
                problems.append(
                    f"{_where(source, ('stages', i, 'type'))} = 'breakpoint': the run stops where "
                    "the target breaks, so a breakpoint stage must be the last one"
                )
            if plan.slo is None or not plan.slo.judges_seconds:
                problems.append(
                    f"{_where(source, ('stages', i, 'type'))} = 'breakpoint': needs an [slo] "
                    'bound to break, e.g. p95 = "300ms" or error_rate = "0.1%"'
                )
    return problems


def _sweep_problems(plan: Plan, source: PlanSource | None) -> list[str]:
    """A worker runs either a rate schedule or users: sweeps and rate stages cannot share a plan,
    and ``[load]``'s users cannot stand beside the sweeps' own."""
    sweeps = [i for i, stage in enumerate(plan.stages) if isinstance(stage, SweepStage)]
    rated = [i for i, stage in enumerate(plan.stages) if not isinstance(stage, SweepStage)]
    if sweeps and rated:
        i, j = sweeps[0], rated[0]
        msg = (
            f"{_where(source, ('stages', i, 'type'))} = 'sweep': stages[{j}] is a "
            f"{plan.stages[j].type!r} stage, which sets a rate; a sweep runs closed-loop users, "
            "so put it in a plan of its own"
        )
    elif sweeps and plan.load.mode is Mode.CLOSED:
        msg = (
            f"{_where(source, ('load', 'mode'))} = 'closed': the sweep stages run closed-loop "
            "users of their own; remove load.mode and load.users"
        )
    elif sweeps and plan.load.users is not None:
        msg = (
            f"{_where(source, ('load', 'users'))} = {plan.load.users}: the sweep stages set "
            "the users; remove load.users"
        )
    elif rated and plan.load.mode is Mode.CLOSED:
        msg = (
            f"{_where(source, ('stages',))}: stages set rates, so they need open loop; "
            'remove load.mode = "closed" or the [[stages]]'
        )
    else:
        return []
    return [msg]
