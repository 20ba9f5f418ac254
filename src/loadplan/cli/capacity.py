"""``loadplan capacity RUN_DIR [RUN_DIR ...]`` and ``loadplan capacity fit DATA.csv``.

One command with free positional words rather than a typer group, so that ``capacity RUN_DIR``
(the run-directory planner) and ``capacity fit FILE`` can share a name: ``dispatch`` decides
which. Exit codes: 0 a plan was made, 2 bad input, 3 inconclusive (the generator was the limit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loadplan.errors import PlanError


def register(app: typer.Typer) -> None:
    """Add the ``capacity`` command to ``app``."""

    @app.command("capacity")
    def capacity_command(
        paths: Annotated[
            list[str],
            typer.Argument(
                help="RUN_DIR ... (runs with a breakpoint or step stage), or 'fit DATA.csv'"
            ),
        ],
        fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
        growth: Annotated[
            list[float] | None, typer.Option(help="growth factor to plan for (repeatable)")
        ] = None,
        headroom: Annotated[str, typer.Option(help="capacity kept free, e.g. 30%")] = "30%",
        redundancy: Annotated[int, typer.Option(help="instances that may be lost (1 = N+1)")] = 1,
        peak: Annotated[
            float | None, typer.Option(help="today's peak req/s [default: the plan's rate]")
        ] = None,
        out: Annotated[
            Path | None, typer.Option(help="where to write [default: RUN_DIR/report]")
        ] = None,
    ) -> None:
        """Plan capacity from runs (max QPS under the SLA, knee, instances for growth, cache,
        bottleneck), or fit the Universal Scalability Law to an (N, X) CSV: capacity fit FILE."""
        from loadplan.cli.run import command_line

        console = Console()
        if paths and paths[0] == "fit":
            raise typer.Exit(dispatch(paths, fmt, console))
        code = plan_command(
            [Path(p) for p in paths], fmt, tuple(growth or ()), _share(headroom), redundancy,
            peak, out, command_line(), console,
        )  # fmt: skip
        raise typer.Exit(code)


def dispatch(paths: list[str], fmt: str, console: Console) -> int:
    """``capacity fit DATA.csv``: the USL on an (N, X) CSV; the exit code."""
    if len(paths) != 2 or paths[0] != "fit":
        msg = "loadplan capacity fit DATA.csv: give exactly one CSV file (columns N,X)"
        raise PlanError(msg)
    from loadplan.cli.capacity_fit import fit_command

    return fit_command(Path(paths[1]), fmt, console)


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        msg = f"--headroom {text}: give a share under 100 %, e.g. 30% or 0.3"
        raise PlanError(msg)
    return value


def plan_command(
    run_dirs: list[Path],
    fmt: str,
    growth: tuple[float, ...],
    headroom: float,
    redundancy: int,
    peak: float | None,
    out: Path | None,
    command: str,
    console: Console,
) -> int:
    """Make the plan, write capacity.json and capacity-planning.md, print it; the exit code."""
    from loadplan.analysis.capacity.plan import CapacityOptions, plan_capacity
    from loadplan.report.capacity import CAPACITY_JSON, headline, write_capacity_docs
    from loadplan.results.result import RunResult

    if fmt not in ("text", "json"):
        msg = f"--format {fmt}: give text or json"
        raise PlanError(msg)
    if redundancy < 0:
        msg = f"--redundancy {redundancy}: give 0 or more (1 for N+1)"
        raise PlanError(msg)
    if peak is not None and peak <= 0:
        msg = f"--peak {peak:g}: give today's peak in requests per second, > 0"
        raise PlanError(msg)
    results = [RunResult.load(d) for d in run_dirs]
    options = CapacityOptions(peak, growth, headroom, redundancy, command)
    plan = plan_capacity(results, options)
    data = plan.to_json()
    target = out or run_dirs[0] / "report"
    target.mkdir(parents=True, exist_ok=True)
    (target / CAPACITY_JSON).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md, _ = write_capacity_docs(data, target)
    if (run_dirs[0] / "report" / "report.html").exists() and target == run_dirs[0] / "report":
        from loadplan.cli.run import write_report_safely

        write_report_safely(run_dirs[0], Console(quiet=fmt == "json"))
    if fmt == "json":
        print(json.dumps(data, indent=2))
    else:
        render_plan(data, console)
        line = headline(data)
        if line:
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"capacity plan: {md} · {target / CAPACITY_JSON}", highlight=False)
    return 3 if plan.inconclusive else 0


def render_plan(data: dict[str, object], console: Console) -> None:
    """The terminal's short form: max QPS, knee, bottleneck, the growth table."""
    from rich.table import Table

    found = data["max_qps_under_slo"]
    assert isinstance(found, dict)
    for reason in data.get("inconclusive", []):  # type: ignore[attr-defined]
        console.print(f"[bold yellow]INCONCLUSIVE[/]: {reason}", soft_wrap=True)
    for note in data.get("notes", []):  # type: ignore[attr-defined]
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    console.print(
        f"max QPS per instance under the SLA: {found['value']:,.0f} req/s "
        f"(95 % interval {found['low']:,.0f}-{found['high']:,.0f}; limiting: "
        f"{found.get('limiting') or '-'}; last good {found['last_good']})",
        highlight=False,
        soft_wrap=True,
    )
    knee = data.get("knee")
    if isinstance(knee, dict):
        console.print(f"knee: {knee['text']}", highlight=False, soft_wrap=True)
    prediction = data.get("prediction")
    if isinstance(prediction, dict) and prediction.get("text"):
        console.print(prediction["text"], highlight=False, soft_wrap=True)
    cpu = data.get("cpu_bound")
    if isinstance(cpu, dict):
        console.print(cpu["text"], highlight=False, soft_wrap=True)
    bottleneck = data.get("bottleneck")
    if isinstance(bottleneck, dict):
        console.print(f"breaks first: {bottleneck['first']}", highlight=False)
        for line in bottleneck.get("evidence", []):
            console.print(f"  {line}", highlight=False, soft_wrap=True)
    table = Table(box=None, pad_edge=False)
    for col in ("growth", "peak/s", "instances", "per instance/s", "util", "P95 ms", "P99 ms"):
        table.add_column(col, justify="right")
    table.add_column("latency", justify="left")
    rows = data.get("plan", [])
    assert isinstance(rows, list)
    for r in rows:
        table.add_row(
            f"{r['growth']:g}x", f"{r['peak_qps']:,.0f}", str(r["instances"]),
            f"{r['per_instance_qps']:,.0f}", f"{r['utilisation']:.0%}",
            "-" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}",
            "-" if r["p99_ms"] is None else f"{r['p99_ms']:.1f}",
            r.get("latency_source", "-"),
        )  # fmt: skip
    console.print(table)
    for line in data.get("recommendations", []):  # type: ignore[attr-defined]
        console.print(f"recommendation: {line}", highlight=False, soft_wrap=True)
