"""The ``loadplan`` command line.

Each subcommand module parses its options into a validated value (usually a ``Plan``), calls the
library, and turns the result into an exit code. Library code never sees typer objects and never
calls ``sys.exit``; errors are translated here, once, into one line on stderr and an exit code.
"""

from __future__ import annotations

import sys

import click
import typer

from loadplan.errors import LoadplanError


def build_app() -> typer.Typer:
    """Assemble the command tree. Built on demand so importing loadplan registers nothing."""
    app = typer.Typer(
        name="loadplan",
        help="Load tests that end in an SLA verdict and a capacity plan.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.command()
    def version() -> None:
        """Print loadplan's version."""
        from loadplan import __version__

        print(__version__)

    from loadplan.cli import capacity as capacity_cli
    from loadplan.cli import compare as compare_cli
    from loadplan.cli import dashboard as dashboard_cli
    from loadplan.cli import demo as demo_cli
    from loadplan.cli import export as export_cli
    from loadplan.cli import judge as judge_cli
    from loadplan.cli import report as report_cli
    from loadplan.cli import run as run_cli
    from loadplan.cli import suite as suite_cli
    from loadplan.cli import target as target_cli
    from loadplan.cli import workload as workload_cli

    run_cli.register(app)
    suite_cli.register(app)
    judge_cli.register(app)
    report_cli.register(app)
    dashboard_cli.register(app)
    demo_cli.register(app)
    target_cli.register(app)
    workload_cli.register(app)
    capacity_cli.register(app)
    export_cli.register(app)
    compare_cli.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: ``LoadplanError`` becomes one line on stderr and an exit code."""
    app = build_app()
    try:
        # Outside standalone mode, click returns the code of a `typer.Exit` instead of exiting.
        code = app(args=argv, standalone_mode=False)
    except LoadplanError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"loadplan: error: {line}", file=sys.stderr)
        sys.exit(exc.exit_code)
    # typer >= 0.20 vendors click: its usage errors are typer.TyperException subclasses, not
    # click.ClickException, so both families are caught (usage errors keep exit code 2).
    except (click.exceptions.Abort, typer.Abort):
        print("loadplan: aborted", file=sys.stderr)
        sys.exit(130)
    except (click.ClickException, typer.TyperException) as exc:
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"loadplan: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (click.exceptions.Exit, typer.Exit) as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
