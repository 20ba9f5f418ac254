"""``loadplan report RUN_DIR``: Markdown, HTML and CSV for a run, complete or partial."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        run_dir: Annotated[Path, typer.Argument(help="a run directory (complete or partial)")],
        out: Annotated[
            Path | None, typer.Option(help="report directory [default: RUN_DIR/report]")
        ] = None,
    ) -> None:
        """Write load-test-results.md, a self-contained report.html and CSV files for a run."""
        from loadplan.errors import RunDirError
        from loadplan.report.build import write_report
        from loadplan.results.runlog import write_failure

        console = Console()
        try:
            files = write_report(run_dir, out)
        except OSError as exc:
            # A full disk (where a run that filled it left its directory): one line, and the
            # way out; the run itself is untouched, only read.
            where = out if out is not None else run_dir / "report"
            msg = (
                f"{where}: cannot write the report ({write_failure(exc)}); free space there "
                "or write it elsewhere with --out DIR"
            )
            raise RunDirError(msg) from None
        if files.partial:
            console.print(
                "[bold yellow]PARTIAL RUN[/]: the report covers the seconds recorded before "
                "it stopped.",
                soft_wrap=True,
            )
        console.print(f"report: {files.html}", highlight=False, soft_wrap=True)
        console.print(f"markdown: {files.markdown}", highlight=False, soft_wrap=True)
        console.print(
            "csv: " + ", ".join(str(p) for p in files.csv), highlight=False, soft_wrap=True
        )
