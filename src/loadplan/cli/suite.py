"""``loadplan suite PLAN``: the sign-off suite against any target, ending in a verdict.

The plan's ``[[stages]]`` if it has them, else the standard suite built from ``[load]`` and
``[suite]``: baseline, ramp-up, sustained, spike and recovery, cache cold and warm, breakpoint.
``--duration`` is the sustained stage's length either way (for own stages: every soak stage).
Exit codes: 0 the SLA held, 1 it failed, 2 usage or plan error, 3 inconclusive, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
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


def register(app: typer.Typer) -> None:
    @app.command("suite")
    def suite_command(
        plan_file: Annotated[
            # Escaped: typer renders help as rich markup, where [load] would be a tag.
            Path, typer.Argument(help=r"TOML plan with \[target], \[load] rate and \[slo]")
        ],
        url: Annotated[str | None, typer.Option(help="target base URL")] = None,
        rate: Annotated[float | None, typer.Option(help="target QPS (sustained rate)")] = None,
        duration: Annotated[
            str | None, typer.Option(help="sustained stage length, e.g. 10m or 2h")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="run directory")] = None,
    ) -> None:
        """Run the sign-off suite and exit with the verdict (0 pass, 1 fail, 3 inconclusive)."""
        from loadplan.cli.run import run_plan
        from loadplan.errors import PlanError
        from loadplan.plan.load import load_plan
        from loadplan.scenarios.suite import with_suite_stages, with_sustained

        overrides: dict[tuple[str, ...], tuple[str, Any]] = {}
        for field, option, value in (
            (("target", "url"), "--url", url),
            (("load", "rate"), "--rate", rate),
            (("load", "duration"), "--duration", duration),
            (("output", "dir"), "--out", str(out) if out else None),
        ):
            if value is not None:
                overrides[field] = (option, value)
        plan, source = load_plan(plan_file, overrides)
        if plan.stages and rate is not None:
            msg = f"--rate {rate:g}: the plan's [[stages]] set their own rates; edit them instead"
            raise PlanError(msg)
        if plan.stages and duration is not None:
            plan = with_sustained(plan, plan.load.duration)
        plan = with_suite_stages(plan, source)
        console = Console()
        print_stages(Scenario.from_plan(plan), console)
        raise typer.Exit(run_plan(plan, plan_file, console))
