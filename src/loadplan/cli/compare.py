"""``loadplan compare BASE NEW``: the regression gate between two run directories.

Reads both runs (and ``--baseline`` runs) from disk, prints what differs between their plans,
the rows that moved and a headline, writes the report with ``--out``, and exits 0 (no
regression), 1 (a gated row regressed, significantly), 2 (bad input) or 3 (inconclusive).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_command(
        base: Annotated[Path, typer.Argument(help="the base run directory (the last good build)")],
        new: Annotated[Path, typer.Argument(help="the new run directory (the build under test)")],
        fail_on: Annotated[
            list[str] | None,
            typer.Option(
                "--fail-on",
                help="FIGURE=AMOUNT over the defaults p95=+10%,p99=+10%,error_rate=+0.05 "
                "(points),throughput=-2%, and when both runs scraped the target "
                "target_hit_rate=-2 (points); also p50, p99.9, cache_hit_rate and "
                "cpu_per_request (shown at +25%, gated when named); FIGURE=off. A real change "
                "fails unless its interval shows it within its threshold.",
            ),
        ] = None,
        baseline: Annotated[
            Path | None,
            typer.Option(
                "--baseline",
                help="a directory of 3 or more earlier run directories of the base build: "
                "their spread is the noise floor",
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="write comparison.md and comparison.html here"),
        ] = None,
    ) -> None:
        """Compare two runs per stage and per tag; exit 1 on a real regression not shown
        within its threshold."""
        from loadplan.analysis.compare.gate import parse_fail_on
        from loadplan.analysis.compare.runs import compare_runs
        from loadplan.errors import RunDirError
        from loadplan.report.compare import terminal_lines, write_comparison
        from loadplan.results.result import RunResult

        thresholds = parse_fail_on(fail_on or ())
        earlier: list[RunResult] = []
        if baseline is not None:
            if not baseline.is_dir():
                msg = f"--baseline {baseline}: no such directory; pass a directory of run dirs"
                raise RunDirError(msg)
            dirs = sorted(p for p in baseline.iterdir() if (p / "meta.json").is_file())
            if len(dirs) < 3:
                msg = (
                    f"--baseline {baseline}: {len(dirs)} run directories in it; the noise floor "
                    "needs 3 or more earlier runs of the base build"
                )
                raise RunDirError(msg)
            earlier = [RunResult.load(d) for d in dirs]
        comparison = compare_runs(
            RunResult.load(base), RunResult.load(new), thresholds, baseline=earlier
        )
        for line in terminal_lines(comparison):
            print(line)
        if out is not None:
            md, page = write_comparison(comparison, out)
            print(f"report: {md} and {page}")
        raise typer.Exit(comparison.exit_code)
