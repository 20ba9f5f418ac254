"""``loadplan run``: one load run from options and/or a plan file; ``loadplan summary RUN_DIR``."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from loadplan.engine.build import engine_build
from loadplan.plan.load import load_plan
from loadplan.plan.model import Plan
from loadplan.plan.source import PlanSource
from loadplan.verdict import EXIT_INCONCLUSIVE, EXIT_PASS

if TYPE_CHECKING:
    from loadplan.analysis.judge import Judgement


RAY_HELP = (
    "run the workers as Ray actors: local (start Ray here), auto (this machine's cluster) or "
    "the head's host:port / ray://host:port; needs pip install 'loadplan[ray]'"
)


def default_run_dir() -> Path:
    return Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S")


def command_line() -> str:
    """The command as typed, for the report's first line (CLI layer only: it reads sys.argv)."""
    return shlex.join(["loadplan", *sys.argv[1:]])


def run_meta(
    plan: Plan, plan_path: Path | None, command: str | None = None, engine: str = "?"
) -> dict[str, Any]:
    """``engine``: the ``EngineBuild.label`` of the engine that runs the plan."""
    from loadplan import __version__
    from loadplan.results.redact import redact_command, redact_plan

    # Secret header values (the flush token, API keys) stay out of the shareable run directory.
    return {
        "loadplan": __version__,
        "engine": engine,
        "command": redact_command(command),
        "plan_file": str(plan_path) if plan_path else None,
        "plan": redact_plan(plan.model_dump(mode="json")),
        "target": plan.target.url,
        "mode": plan.loop.value,
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
        ray: Annotated[str | None, typer.Option("--ray", help=RAY_HELP)] = None,
        ray_workers: Annotated[
            int | None, typer.Option("--ray-workers", help="Ray actors [default: one per CPU]")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="seed for arrivals and workload")] = None,
        method: Annotated[str | None, typer.Option(help="HTTP method")] = None,
        path: Annotated[str | None, typer.Option(help="request path and query")] = None,
        header: Annotated[list[str] | None, typer.Option(help="'Name: value', repeatable")] = None,
        capture_header: Annotated[
            str | None, typer.Option(help="response header to record as a tag")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="run directory")] = None,
        report: Annotated[
            bool | None,
            typer.Option("--report/--no-report", help="write RUN_DIR/report/ at the end"),
        ] = None,
        metrics_port: Annotated[
            int | None,
            typer.Option(help="serve live Prometheus metrics on this port (0: any free port)"),
        ] = None,
        metrics_host: Annotated[
            str | None, typer.Option(help="address for --metrics-port [default: 127.0.0.1]")
        ] = None,
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
        put(("cluster", "ray"), "--ray", ray)
        put(("cluster", "workers"), "--ray-workers", ray_workers)
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
        put(("output", "report"), "--report", report)
        put(("output", "metrics_port"), "--metrics-port", metrics_port)
        put(("output", "metrics_host"), "--metrics-host", metrics_host)
        plan, source = load_plan(plan_file, overrides)
        console = Console()
        if plan.stages:
            from loadplan.cli.stage_lines import print_stages
            from loadplan.plan.scenario import Scenario

            print_stages(Scenario.from_plan(plan), console)
        code = run_plan(plan, plan_file, console, source, command=command_line())
        raise typer.Exit(code)

    @app.command("summary")
    def summary_command(
        run_dir: Annotated[Path, typer.Argument(help="a run directory (complete or partial)")],
    ) -> None:
        """Print the summary of a run directory, even one whose run was killed."""
        from loadplan.report.terminal import render_summary
        from loadplan.report.verdict_terminal import render_stages, render_verdict
        from loadplan.results.result import RunResult

        result = RunResult.load(run_dir)
        console = Console()
        summary = result.summary
        render_summary(summary, console)
        if len(summary.get("stages", {})) > 1:
            render_stages(summary["stages"], console)
        render_verdict(summary.get("verdict"), console)
        if not summary["complete"]:
            # A partial run: its numbers are real but cover part of the plan; no verdict code.
            raise typer.Exit(EXIT_INCONCLUSIVE if summary["generator"]["bound"] else EXIT_PASS)
        raise typer.Exit(exit_code(summary))


def run_plan(
    plan: Plan,
    plan_path: Path | None,
    console: Console,
    source: PlanSource | None = None,
    command: str | None = None,
) -> int:
    """Execute a plan with the live view, print the summary and verdict, write the report, return
    the exit code.

    With ``output.metrics_port`` set, the run's live metrics are served in Prometheus format from
    when the workers start until the run ends.
    """
    from loadplan.plan.scenario import Scenario
    from loadplan.report.terminal import render_summary
    from loadplan.report.verdict_terminal import render_stages, render_verdict
    from loadplan.scenarios.runner import Sink
    from loadplan.scenarios.session import run_session
    from loadplan.sinks.live import LiveView
    from loadplan.units import format_duration
    from loadplan.workload.build import build_sampler

    base_dir = plan_path.parent if plan_path else Path.cwd()
    sampler = build_sampler(plan.workload, base_dir, plan=source)
    build = engine_build()
    stale = build.warning()
    for warning in (*sampler.warnings, *([stale] if stale else [])):
        console.print(f"loadplan: warning: {warning}", highlight=False, soft_wrap=True)
    offsets = sampler.offsets
    offsets_s = tuple(offsets.tolist()) if offsets is not None else None
    scenario = Scenario.from_plan(plan)
    planned_s = offsets_s[-1] if offsets_s else scenario.duration_s

    run_dir = Path(plan.output.dir) if plan.output.dir else default_run_dir()
    meta = run_meta(plan, plan_path, command, build.label)
    staged = len(scenario.stages) > 1 or bool(plan.stages)
    count = len(scenario.stages)
    what = f"{count} stage{'s' if count > 1 else ''}, " if staged else ""
    console.print(
        f"loadplan: {plan.loop.value} loop against {plan.target.url} for "
        f"{what}{format_duration(planned_s)}; writing {run_dir}",
        highlight=False,
    )
    view = LiveView(console, planned_s, plan.generator.lag_bound * 1000)
    sinks: list[Sink] = [view]
    exporter = None
    if plan.output.metrics_port is not None:
        from loadplan.sinks.prometheus import PrometheusExporter

        exporter = PrometheusExporter(plan.output.metrics_host, plan.output.metrics_port)
        exporter.check_port()
        sinks.append(exporter)
    view_started = False

    def start_sinks() -> None:
        nonlocal view_started
        # Started once the workers exist: no server thread is running when they fork.
        if exporter is not None:
            url = exporter.start()
            console.print(f"loadplan: live metrics at {url}", highlight=False)
        view.__enter__()
        view_started = True

    try:
        outcome = run_session(
            plan,
            run_dir,
            meta,
            sinks=sinks,
            source=sampler,
            on_start=start_sinks,
            offsets_s=offsets_s,
        )
    finally:
        if view_started:
            view.__exit__(None, None, None)
        if exporter is not None:
            exporter.stop()
    summary = outcome.summary
    render_summary(summary, console)
    if staged:
        render_stages(summary["stages"], console)
    render_verdict(summary.get("verdict"), console)
    console.print(f"run directory: {run_dir}", highlight=False)
    if scenario.breakpoint is not None or any(s.kind.value == "step" for s in scenario.stages):
        plan_capacity_safely(run_dir, plan, console, outcome.judgement)
    if plan.output.report:
        write_report_safely(run_dir, console)
    return exit_code(summary)


def plan_capacity_safely(
    run_dir: Path, plan: Plan, console: Console, judgement: Judgement | None = None
) -> None:
    """End a run that has a staircase with its capacity plan (RUN_DIR/report/capacity.json and
    capacity-planning.md) and its headline; a plan that cannot be made is one line, never a
    lost run."""
    import json

    from loadplan.analysis.capacity.plan import CapacityOptions, plan_capacity
    from loadplan.errors import LoadplanError
    from loadplan.report.capacity import CAPACITY_JSON, headline, write_capacity_docs
    from loadplan.results.result import RunResult

    if plan.slo is None:
        return
    try:
        judged = (judgement,) if judgement is not None else ()
        made = plan_capacity([RunResult.load(run_dir)], CapacityOptions(command=""), judged)
    except LoadplanError as exc:
        console.print(f"capacity plan: none ({exc})", highlight=False, soft_wrap=True)
        return
    data = made.to_json() | {"command": f"loadplan capacity {run_dir}"}
    out = run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / CAPACITY_JSON).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md, _ = write_capacity_docs(data, out)
    for reason in made.inconclusive:
        console.print(f"capacity plan: INCONCLUSIVE: {reason}", highlight=False, soft_wrap=True)
    line = headline(data)
    if line:
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"capacity plan: {md}", highlight=False, soft_wrap=True)


def exit_code(summary: dict[str, Any]) -> int:
    """The run's exit code from its summary.json (``verdict.run_exit_code`` decides)."""
    from loadplan.verdict import Verdict, run_exit_code

    raw = summary.get("verdict")
    return run_exit_code(
        Verdict.from_json(raw) if raw is not None else None,
        complete=bool(summary.get("complete")),
        degraded=bool(summary.get("degraded")),
        interrupted=str(summary.get("stop_reason", "")).startswith("interrupted"),
        generator_bound=bool(summary["generator"]["bound"]),
    )


def write_report_safely(run_dir: Path, console: Console) -> None:
    """Write the run's report; any failure is one warning line, never a lost run."""
    try:
        from loadplan.report.build import write_report

        files = write_report(run_dir)
    except Exception as exc:  # the run is on disk already; a report bug must not hide it
        console.print(
            f"loadplan: warning: no report written ({type(exc).__name__}: {exc}); "
            f"retry with: loadplan report {run_dir}",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(f"report: {files.html} · {files.markdown}", highlight=False, soft_wrap=True)
