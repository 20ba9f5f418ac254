"""``loadplan export wrk|k6 PLAN [--url URL] [--suite] -o FILE``: the plan as another tool's script.

Loads the plan (``--url`` overrides ``[target] url``; ``--suite`` expands the sign-off suite, as
``loadplan suite`` would run it), pre-samples its request sequence and writes the script. A
plan feature the tool cannot express is a PlanError naming it: exit 2, and no file is written.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer


class Tool(enum.StrEnum):
    WRK = "wrk"
    K6 = "k6"


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        tool: Annotated[Tool, typer.Argument(help="wrk (Lua script) or k6 (JavaScript)")],
        plan_file: Annotated[Path, typer.Argument(help="the plan file (TOML)")],
        output: Annotated[Path, typer.Option("-o", "--output", help="the script to write")],
        url: Annotated[
            str | None, typer.Option("--url", help=r"base URL instead of \[target] url")
        ] = None,
        suite: Annotated[
            bool,
            typer.Option("--suite", help="export the sign-off suite's stages (loadplan suite)"),
        ] = False,
        requests: Annotated[
            int, typer.Option("--requests", help="requests of the seeded sequence to pre-sample")
        ] = 4096,
    ) -> None:
        """Write the plan's workload and stages as a wrk or k6 script."""
        from loadplan.export.k6 import render_k6
        from loadplan.export.sequence import build_export
        from loadplan.export.wrk import render_wrk
        from loadplan.plan.load import load_plan
        from loadplan.scenarios.suite import with_suite_stages

        overrides: dict[tuple[str, ...], tuple[str, Any]] = {}
        if url is not None:
            overrides[("target", "url")] = ("--url", url)
        plan, source = load_plan(plan_file, overrides)
        if suite:
            plan = with_suite_stages(plan, source)
        export = build_export(plan, plan_file, source=source, requests=requests)
        text = (
            render_k6(export, output.name) if tool is Tool.K6 else render_wrk(export, output.name)
        )
        output.write_text(text, encoding="utf-8")
        print(
            f"loadplan: wrote {output} ({tool.value}, {len(export.requests):,} requests, "
            f"{len(export.stages)} stages)",
            file=sys.stderr,
        )
