"""The report's distribution plots: the percentile spectrum per stage, latency per tag value.

The spectrum is HdrHistogram's percentile plot: x counts nines (90 %, 99 %, 99.9 % ...) on a log
scale of 1 / (1 - percentile), so the tail, where SLAs live, gets as much room as the body.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from loadplan.report.data import ReportData, TagValue
from loadplan.report.figure import QUANTILE_COLORS, Plot, bound_color, draw_plot, legend, log_ms
from loadplan.report.verdict import SlaBound
from loadplan.results.histogram import values_at_percentiles

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _spectrum_points(hist_total: int) -> np.ndarray:
    """Percentiles from 0 to the "one in N" point of N samples, evenly spaced in nines."""
    nines = math.log10(max(hist_total, 10))
    k = np.linspace(0.0, nines, 240)
    return 100.0 * (1.0 - 10.0**-k)


def percentile_spectrum(data: ReportData) -> Plot:
    """Latency by percentile, per stage, x in nines (HdrHistogram's percentile plot)."""
    curves = [(s.name, s.latency) for s in data.stages if s.latency.get_total_count()]
    if len(curves) > 1:
        curves.append(("whole run", data.latency))

    def draw(fig: Figure, ax: Axes) -> None:
        top = 10.0
        for name, hist in curves:
            pct = _spectrum_points(hist.get_total_count())
            x = 1.0 / (1.0 - pct / 100.0)
            y = values_at_percentiles(hist, pct) / 1000.0
            # The last point is the max, drawn at the "one in N" position.
            y[-1] = hist.get_max_value() / 1000.0
            top = max(top, float(x[-1]))
            style = {"color": "#222222", "lw": 2.0} if name == "whole run" else {"lw": 1.4}
            ax.plot(x, y, label=name, **style)
        for bound in data.sla_bounds:
            color = bound_color(bound)
            ax.axhline(bound.bound_ms, color=color, ls="--", lw=1)
            ax.plot(
                [1.0 / (1.0 - bound.percentile / 100.0)],
                [bound.bound_ms],
                marker="v",
                color=color,
                ls="none",
                label=bound.label,
            )
        ax.set_xscale("log")
        log_ms(ax)
        ticks = [10.0**k for k in range(math.ceil(math.log10(top)) + 1)]
        ax.set_xticks(ticks, [_nines_label(x) for x in ticks])
        ax.set_xlim(1.0, ticks[-1])
        ax.set_xlabel("percentile")
        ax.set_ylabel("latency, ms (log)")
        legend(ax)

    return draw_plot("spectrum", "Latency by percentile, per stage", 3.8, 1, draw)


def _nines_label(x: float) -> str:
    pct = 100.0 * (1.0 - 1.0 / x)
    return f"{pct:.{max(round(math.log10(x)) - 2, 0)}f}%"


def tag_breakdown(
    values: Sequence[TagValue], bounds: Sequence[SlaBound] = (), limit: int = 20
) -> Plot:
    """P50/P95/P99 per value of one tag name, most frequent values first, bounds dashed."""
    shown = list(values[:limit])
    name = shown[0].name if shown else "tag"

    def draw(fig: Figure, ax: Axes) -> None:
        # Dots on a log axis, not bars: P50 and P99 often differ a thousandfold under load, and
        # bars would shrink the P50 to nothing.
        y = np.arange(len(shown))
        ms = {
            q: np.array([values_at_percentiles(v.latency, [q])[0] / 1000.0 for v in shown])
            for q in (50, 95, 99)
        }
        ax.hlines(y, ms[50], ms[99], color="#c8c8c8", lw=3, zorder=1)
        for q, marker in ((50, "o"), (95, "s"), (99, "D")):
            ax.scatter(ms[q], y, s=36, marker=marker, color=QUANTILE_COLORS[f"p{q}"],
                       label=f"P{q}", zorder=2)  # fmt: skip
        lo, hi = float(ms[50].min(initial=1.0)), float(ms[99].max(initial=1.0))
        # A bound far outside the dots would stretch the axis; the tables carry it then.
        for bound in bounds:
            if lo / 10 <= bound.bound_ms <= hi * 10:
                ax.axvline(
                    bound.bound_ms, color=bound_color(bound), ls="--", lw=1, label=bound.label
                )
        log_ms(ax, axis="x")
        ax.set_yticks(y, [f"{v.value} ({v.count:,})" for v in shown])
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.set_xlabel("latency, ms (log)")
        legend(ax)

    labels = max((len(f"{v.value} ({v.count:,})") for v in shown), default=8)
    return draw_plot(
        f"tag-{_slug(name)}",
        f"Latency by {name}",
        1.3 + 0.32 * len(shown),
        1,
        draw,
        left_in=0.3 + 0.075 * labels,
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "tag"
