"""``loadplan judge RUN_DIR [--plan PLAN]``: the SLA verdict of any run, made again from disk.

The run's own plan (from its meta.json) by default; ``--plan`` takes another plan's ``[slo]``
and ``[generator]`` bounds to ask "would this run have passed that SLA?", while the stages stay
the ones the run played (a run of an older loadplan, whose meta.json holds no readable plan,
takes the whole plan from ``--plan``). It prints the per-stage table and the verdict rows the run
printed, and exits with the verdict's code. A killed run is judged on the seconds it kept and
says so; since its later stages were never run, it cannot pass (exit 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    @app.command("judge")
    def judge_command(
        run_dir: Annotated[Path, typer.Argument(help="a run directory (complete or partial)")],
        plan_file: Annotated[
            Path | None,
            typer.Option("--plan", help=r"judge against this plan's \[slo] instead"),
        ] = None,
    ) -> None:
        """Judge a run against its plan's SLA again, from its run directory alone."""
        from loadplan.analysis.judge import judge_run
        from loadplan.errors import PlanError
        from loadplan.plan.load import load_plan
        from loadplan.report.verdict_terminal import render_stages, render_verdict
        from loadplan.results.result import RunResult
        from loadplan.verdict import run_exit_code

        result = RunResult.load(run_dir)
        plan = None
        if plan_file is not None:
            other = load_plan(plan_file, {})[0]
            plan = other
            if result.plan is not None:
                update = {"slo": other.slo, "generator": other.generator}
                plan = result.plan.model_copy(update=update)
        judgement = judge_run(result, plan)
        if judgement.verdict is None:
            where = str(plan_file) if plan_file else f"{run_dir}/meta.json's plan"
            msg = f"{where}: no [slo] table, so nothing to judge; add one or pass --plan"
            raise PlanError(msg)
        console = Console()
        if not result.complete:
            console.print(
                f"[bold yellow]PARTIAL RUN[/] ({result.stop_reason}): judged on the "
                f"{len(judgement.book.seconds)} seconds it recorded; stages it did not reach "
                "are not judged.",
                soft_wrap=True,
            )
        parts = judgement.summary_parts(result.meta)
        if len(judgement.scenario.stages) > 1:
            render_stages(parts["stages"], console)
        render_verdict(parts["verdict"], console)
        raise typer.Exit(
            run_exit_code(
                judgement.verdict,
                complete=result.complete and not result.summary.get("degraded"),
                interrupted=result.stop_reason.startswith("interrupted"),
                generator_bound=bool(result.summary["generator"]["bound"]),
            )
        )
