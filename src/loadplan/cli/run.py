"""``loadplan run``: one load run from options and/or a plan file; ``loadplan summary RUN_DIR``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from loadplan.plan.load import load_plan
from loadplan.plan.model import Plan
from loadplan.plan.source import PlanSource

EXIT_OK = 0
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
        insecure: Annotated[
            bool, typer.Option("--insecure", help="https: skip certificate checks")
        ] = False,
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
        put(("target", "insecure"), "--insecure", True if insecure else None)
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
        put(("workload", "template", "method"), "--method", method)
        put(("workload", "template", "path"), "--path", path)
        if header:
            parsed = {}
            for h in header:
                name, sep, value = h.partition(":")
                if not sep or not name.strip():
                    from loadplan.errors import PlanError

                    msg = f"--header {h!r}: write it as 'Name: value'"
                    raise PlanError(msg)
                parsed[name.strip()] = value.strip()
            put(("workload", "template", "headers"), "--header", parsed)
        put(("output", "dir"), "--out", str(out) if out else None)
        plan, source = load_plan(plan_file, overrides)
        code = run_plan(plan, plan_file, Console(), source)
        raise typer.Exit(code)

    @app.command("summary")
    def summary_command(
        run_dir: Annotated[Path, typer.Argument(help="a run directory (complete or partial)")],
    ) -> None:
        """Print the summary of a run directory, even one whose run was killed."""
        from loadplan.report.terminal import render_summary
        from loadplan.results.run import RunResult

        result = RunResult.load(run_dir)
        render_summary(result.summary, Console())
        raise typer.Exit(EXIT_INCONCLUSIVE if result.summary["generator"]["bound"] else EXIT_OK)


def run_plan(
    plan: Plan, plan_path: Path | None, console: Console, source: PlanSource | None = None
) -> int:
    """Execute a plan with the live view, print the summary, return the exit code."""
    from loadplan.report.terminal import render_summary
    from loadplan.scenarios.runner import execute
    from loadplan.sinks.live import LiveView
    from loadplan.workload.spec import build_sampler

    base_dir = plan_path.parent if plan_path else Path.cwd()
    sampler = build_sampler(plan.workload, base_dir, plan=source)
    for warning in sampler.warnings:
        console.print(f"loadplan: warning: {warning}", highlight=False, soft_wrap=True)
    offsets = sampler.offsets
    offsets_s = tuple(offsets.tolist()) if offsets is not None else None
    planned_s = offsets_s[-1] if offsets_s else plan.load.duration

    run_dir = Path(plan.output.dir) if plan.output.dir else default_run_dir()
    meta = run_meta(plan, plan_path)
    console.print(
        f"loadplan: {plan.load.mode.value} loop against {plan.target.url} for "
        f"{planned_s:g}s; writing {run_dir}",
        highlight=False,
    )
    view = LiveView(console, planned_s, plan.generator.lag_bound * 1000)
    view_started = False

    def start_view() -> None:
        nonlocal view_started
        view.__enter__()
        view_started = True

    try:
        outcome = execute(
            plan,
            run_dir,
            meta,
            sinks=[view],
            source=sampler,
            on_start=start_view,
            offsets_s=offsets_s,
        )
    finally:
        if view_started:
            view.__exit__(None, None, None)
    render_summary(outcome.summary, console)
    console.print(f"run directory: {run_dir}", highlight=False)
    if outcome.stop_reason.startswith("interrupted"):
        return EXIT_INTERRUPTED
    if outcome.summary["generator"]["bound"] or not outcome.summary["complete"]:
        return EXIT_INCONCLUSIVE
    return EXIT_OK
