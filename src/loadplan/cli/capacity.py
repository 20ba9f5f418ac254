"""``loadplan capacity ...``: capacity plans. ``capacity fit DATA.csv`` fits the USL to a CSV.

One command with free positional words rather than a typer group, so that ``capacity RUN_DIR``
(the run-directory planner) and ``capacity fit FILE`` can share a name: ``dispatch`` decides
which, and is the one place to extend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loadplan.errors import LoadplanError, PlanError


def register(app: typer.Typer) -> None:
    """Add the ``capacity`` command to ``app``."""

    @app.command("capacity")
    def capacity_command(
        paths: Annotated[
            list[str], typer.Argument(help="'fit DATA.csv' (an N,X CSV file), or RUN_DIR")
        ],
        fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    ) -> None:
        """Fit the Universal Scalability Law to (N, X) measurements: capacity fit DATA.csv."""
        raise typer.Exit(dispatch(paths, fmt, Console()))


def dispatch(paths: list[str], fmt: str, console: Console) -> int:
    """Run the capacity subcommand named by ``paths``; return its exit code."""
    if paths and paths[0] == "fit":
        if len(paths) != 2:
            msg = "loadplan capacity fit DATA.csv: give exactly one CSV file (columns N,X)"
            raise PlanError(msg)
        from loadplan.cli.capacity_fit import fit_command

        return fit_command(Path(paths[1]), fmt, console)
    msg = "loadplan capacity RUN_DIR: not built yet on this branch"
    raise LoadplanError(msg)
