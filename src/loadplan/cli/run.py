"""``loadplan run``: one load run from options and/or a plan file; ``loadplan summary RUN_DIR``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from loadplan.plan.load import load_plan
from loadplan.plan.model import Plan

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INCONCLUSIVE = 3
EXIT_INTERRUPTED = 130


def default_run_dir() -> Path:
    return Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S")


def run_meta(plan: Plan, plan_path: Path | None) -> dict[str, Any]:
    from loadplan import __version__

    return {
        "loadplan": __version__,
        "plan_file": str(plan_path) if plan_path else None,
        "plan": plan.model_dump(mode="json"),
        "target": plan.target.url,
        "mode": plan.load.mode.value,
        "workers": plan.load.workers,
        "lag_bound_ms": plan.generator.lag_bound * 1000,
    }


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_command(
        plan_file: Annotated[
            Path | None, typer.Argument(help="TOML plan; options below override it")
        ] = None,
        url: Annotated[str | None, typer.Option(help="target base URL")] = None,
        rate: Annotated[float | None, typer.Option(help="requests per second (open loop)")] = None,
        duration: Annotated[str | None, typer.Option(help="e.g. 30s, 5m, 2h")] = None,
        users: Annotated[
            int | None, typer.Option(help="closed loop with this many concurrent users")
        ] = None,
        think: Annotated[str | None, typer.Option(help="closed loop: pause per user")] = None,
        arrivals: Annotated[str | None, typer.Option(help="uniform or poisson")] = None,
        connections: Annotated[int | None, typer.Option(help="max open connections")] = None,
        timeout: Annotated[str | None, typer.Option(help="per-request total timeout")] = None,
        workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
        seed: Annotated[int | None, typer.Option(help="seed for arrivals and workload")] = None,
        method: Annotated[str | None, typer.Option(help="HTTP method")] = None,
        path: Annotated[str | None, typer.Option(help="request path and query")] = None,
        header: Annotated[list[str] | None, typer.Option(help="'Name: value', repeatable")] = None,
        capture_header: Annotated[
            str | None, typer.Option(help="response header to record as a tag")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="run directory")] = None,
    ) -> None:
        """Send load at a fixed rate (open loop) or with N users (closed loop) and summarize."""
        overrides: dict[tuple[str, ...], tuple[str, Any]] = {}

        def put(field: tuple[str, ...], option: str, value: Any) -> None:
            if value is not None:
                overrides[field] = (option, value)

        put(("target", "url"), "--url", url)
        put(("load", "rate"), "--rate", rate)
        put(("load", "duration"), "--duration", duration)
        if users is not None:
            put(("load", "mode"), "--users", "closed")
        put(("load", "users"), "--users", users)
        put(("load", "think"), "--think", think)
        put(("load", "arrivals"), "--arrivals", arrivals)
        put(("load", "workers"), "--workers", workers)
        put(("load", "seed"), "--seed", seed)
        put(("client", "connections"), "--connections", connections)
        put(("client", "timeout"), "--timeout", timeout)
        put(("client", "capture_header"), "--capture-header", capture_header)
        put(("request", "method"), "--method", method)
        put(("request", "path"), "--path", path)
        if header:
            parsed = {}
            for h in header:
                name, sep, value = h.partition(":")
                if not sep or not name.strip():
                    from loadplan.errors import PlanError

                    msg = f"--header {h!r}: write it as 'Name: value'"
                    raise PlanError(msg)
                parsed[name.strip()] = value.strip()
            put(("request", "headers"), "--header", parsed)
        put(("output", "dir"), "--out", str(out) if out else None)
        plan, _ = load_plan(plan_file, overrides)
        code = run_plan(plan, plan_file, Console())
        raise typer.Exit(code)

    @app.command("summary")
    def summary_command(
        run_dir: Annotated[Path, typer.Argument(help="a run directory (complete or partial)")],
    ) -> None:
        """Print the summary of a run directory, even one whose run was killed."""
        from loadplan.report.terminal import render_summary
        from loadplan.report.verdict import render_stages, render_verdict
        from loadplan.results.run import RunResult

        result = RunResult.load(run_dir)
        console = Console()
        summary = result.summary
        render_summary(summary, console)
        if len(summary.get("stages", {})) > 1:
            render_stages(summary["stages"], console)
        render_verdict(summary.get("verdict"), console)
        if not summary["complete"]:
            # A partial run: its numbers are real but cover part of the plan; no verdict code.
            raise typer.Exit(EXIT_INCONCLUSIVE if summary["generator"]["bound"] else EXIT_OK)
        raise typer.Exit(exit_code(summary))


def run_plan(plan: Plan, plan_path: Path | None, console: Console) -> int:
    """Execute a plan with the live view, print the summary (and verdict), return the exit code."""
    from loadplan.report.terminal import render_summary
    from loadplan.report.verdict import render_stages, render_verdict
    from loadplan.scenarios.scenario import Scenario
    from loadplan.scenarios.session import run_session
    from loadplan.sinks.live import LiveView
    from loadplan.units import format_duration

    run_dir = Path(plan.output.dir) if plan.output.dir else default_run_dir()
    meta = run_meta(plan, plan_path)
    scenario = Scenario.from_plan(plan)
    staged = len(scenario.stages) > 1 or bool(plan.stages)
    count = len(scenario.stages)
    what = f"{count} stage{'s' if count > 1 else ''}, " if staged else ""
    console.print(
        f"loadplan: {plan.load.mode.value} loop against {plan.target.url} for "
        f"{what}{format_duration(scenario.duration_s)}; writing {run_dir}",
        highlight=False,
    )
    view = LiveView(console, scenario.duration_s, plan.generator.lag_bound * 1000)
    view_started = False

    def start_view() -> None:
        nonlocal view_started
        view.__enter__()
        view_started = True

    try:
        outcome = run_session(plan, run_dir, meta, sinks=[view], on_start=start_view)
    finally:
        if view_started:
            view.__exit__(None, None, None)
    summary = outcome.summary
    render_summary(summary, console)
    if staged:
        render_stages(summary["stages"], console)
    render_verdict(summary.get("verdict"), console)
    console.print(f"run directory: {run_dir}", highlight=False)
    return exit_code(summary)


def exit_code(summary: dict[str, Any]) -> int:
    """130 interrupted; with [slo], the verdict's code; else 3 if untrustworthy, 0 if done.

    A run that did not finish (a worker failed) is inconclusive whatever its verdict says.
    """
    if str(summary.get("stop_reason", "")).startswith("interrupted"):
        return EXIT_INTERRUPTED
    if not summary.get("complete"):
        return EXIT_INCONCLUSIVE
    verdict = summary.get("verdict")
    if verdict is not None:
        passed = verdict.get("pass")
        return EXIT_INCONCLUSIVE if passed is None else (EXIT_OK if passed else EXIT_FAIL)
    return EXIT_INCONCLUSIVE if summary["generator"]["bound"] else EXIT_OK
