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

from loadplan.cli.run import RAY_HELP
from loadplan.cli.stage_lines import print_stages
from loadplan.plan.scenario import Scenario


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
        ray: Annotated[str | None, typer.Option("--ray", help=RAY_HELP)] = None,
        ray_workers: Annotated[
            int | None, typer.Option("--ray-workers", help="Ray actors [default: one per CPU]")
        ] = None,
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
            (("cluster", "ray"), "--ray", ray),
            (("cluster", "workers"), "--ray-workers", ray_workers),
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
