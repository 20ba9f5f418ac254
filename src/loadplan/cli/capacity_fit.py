"""``loadplan capacity fit DATA.csv``: the USL fit of measured (N, X) points, as text or JSON.

Reads the CSV (``analysis.capacity.usl_data``), fits with the default method and conventions
(``analysis.capacity.usl``) and prints. Bad input is a CapacityError naming file:line; ``cli.main``
prints it on one line and exits with code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from loadplan.analysis.capacity.usl import ParamEstimate, UslFit, fit_usl
from loadplan.analysis.capacity.usl_data import UslData, read_usl_csv
from loadplan.errors import PlanError

FORMATS = ("text", "json")


def fit_command(csv_path: Path, fmt: str, console: Console) -> int:
    """Fit the USL to ``csv_path`` and print it on ``console`` as ``fmt``; return the exit code."""
    if fmt not in FORMATS:
        msg = f"--format {fmt}: use text or json"
        raise PlanError(msg)
    data = read_usl_csv(csv_path)
    fit = fit_usl(data.n, data.x)
    if fmt == "json":
        document = {
            "usl": fit.to_json(),
            "data": {"path": str(data.path), "n_column": data.n_column, "x_column": data.x_column},
        }
        console.out(json.dumps(document, indent=2, allow_nan=False), highlight=False)
    else:
        render_fit(data, fit, console)
    return 0


def render_fit(data: UslData, fit: UslFit, console: Console) -> None:
    """The fit as a short table and the one or two sentences a capacity plan needs from it."""
    level = "95 %" if fit.ci_convention == "two_sided_t" else "95 % (usl::confint)"
    table = Table(
        title=f"USL fit: {data.path.name} ({fit.n_points} points, {fit.n_levels} load levels)",
        title_justify="left",
    )
    for column in ("", "estimate", "std. error", f"{level} interval"):
        table.add_column(column, justify="left" if not column else "right")
    rows = (
        ("sigma (contention)", fit.sigma),
        ("kappa (coherency)", fit.kappa),
        ("lambda (X per unit of N)", fit.lambda_),
        ("N* (load at peak)", fit.n_star),
        ("X_max = X(N*)", fit.x_max),
        ("X_roof = lambda/sigma", fit.x_roof),
    )
    for label, item in rows:
        table.add_row(label, *_cells(item))
    console.print(table)
    console.print(
        f"fit: residual s.e. {_g(fit.resid_se)} on {fit.resid_df} df, R² {fit.r2:.4f}, "
        f"method {fit.method}",
        highlight=False,
        soft_wrap=True,
    )
    tested = f"N up to {_g(fit.n_max)}"
    if fit.kappa_negligible:
        instead = (
            "read X_roof as the ceiling, or measure at higher load"
            if fit.x_roof is not None
            else "measure at higher load to find where it bends"
        )
        console.print(
            f"kappa ~ 0: no retrograde region in the tested range ({tested}); throughput has not "
            f"turned down, so there is no N* to plan with: {instead}.",
            highlight=False,
            soft_wrap=True,
        )
    elif fit.n_star is not None and fit.n_star.value > fit.n_max:
        console.print(
            f"N* {_g(fit.n_star.value)} lies beyond the tested range ({tested}): an extrapolation.",
            highlight=False,
            soft_wrap=True,
        )
    if fit.sigma_negligible:
        console.print(
            "sigma ~ 0: no contention measured, so no X_roof ceiling to report.",
            highlight=False,
            soft_wrap=True,
        )


def _cells(item: ParamEstimate | None) -> tuple[str, str, str]:
    if item is None:
        return ("none", "", "")
    se = "" if item.se is None else _g(item.se)
    interval = "" if item.ci is None else f"{_g(item.ci[0])} .. {_g(item.ci[1])}"
    return (_g(item.value), se, interval)


def _g(value: float) -> str:
    return f"{value:.4g}"
