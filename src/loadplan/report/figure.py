"""How every report plot is drawn: one figure shape, one palette, PNG bytes out.

matplotlib is used through ``Figure`` and the Agg canvas directly, never through ``pyplot``:
pyplot keeps a global registry of open figures and a process-wide backend, and a report drawn
inside ``loadplan run`` must not touch either. Choosing the Agg canvas inside ``draw_plot`` is
how "the Agg backend, set inside the function" is done without global state, and matplotlib is
imported only when a report is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from loadplan.report.verdict import SlaBound

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN = 10.0
DPI = 100
QUANTILE_COLORS = MappingProxyType(
    {"p50": "#4c72b0", "p95": "#dd8452", "p99": "#c44e52", "max": "#8c8c8c"}
)
BOUND_COLOR = "#d62728"
ERROR_COLORS = ("#c44e52", "#dd8452", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974")


@dataclass(frozen=True, slots=True)
class Plot:
    """One drawn plot.

    Attributes:
        name: file stem (``latency`` → plots/latency.png) and HTML anchor.
        title: what it shows, one line.
        png: the image.
    """

    name: str
    title: str
    png: bytes


def draw_plot(
    name: str,
    title: str,
    height_in: float,
    rows: int,
    draw: Callable[..., None],
    left_in: float = 0.8,
    right_in: float = 2.1,
) -> Plot:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins in inches rather than constrained layout: it halves the drawing time (the
    # layout engine measures every text box twice), and the plots share one shape anyway.
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=left_in / WIDTH_IN,
        right=1 - right_in / WIDTH_IN,  # room for the legend, outside the data
        top=1 - 0.3 / height_in,
        bottom=0.55 / height_in,
        hspace=0.15 * rows,
    )
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    draw(fig, *axes)
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return Plot(name, title, buf.getvalue())


def log_ms(ax: Axes, axis: str = "y") -> None:
    """A log axis labelled in plain milliseconds (0.5, 1, 10, 100) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    scale = ax.yaxis if axis == "y" else ax.xaxis
    if axis == "y":
        ax.set_yscale("log")
    else:
        ax.set_xscale("log")
    scale.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    scale.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    scale.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def bound_color(bound: SlaBound) -> str:
    return QUANTILE_COLORS.get(f"p{bound.percentile:g}", BOUND_COLOR)


def legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
