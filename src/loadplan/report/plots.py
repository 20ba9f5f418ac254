"""The report's plots over time: latency, rate, errors, cache, the target, the generator.

Time runs along x in seconds from the run's start, each second drawn at its middle; stages are
shaded in turn and named at the top, so a latency jump can be read against the stage that caused
it. Drawing itself (figure shape, palette, PNG) is ``figure.py``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from loadplan.report.data import ReportData, Second, Stage
from loadplan.report.figure import (
    BOUND_COLOR,
    ERROR_COLORS,
    QUANTILE_COLORS,
    Plot,
    bound_color,
    draw_plot,
    legend,
    log_ms,
)
from loadplan.report.target import Series

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


FULL_S = 0.5
"""Shorter intervals (the drain after the last second, ~10 ms) are left out of rate and
generator plots: a count over 10 ms, as a rate, is noise that reads like a collapse."""


def _times(seconds: Sequence[Second]) -> np.ndarray:
    """Each second at its middle, so points sit inside the stage shading they belong to."""
    return np.array([(s.start_s + s.end_s) / 2 for s in seconds], dtype=float)


def _full(data: ReportData) -> list[Second]:
    return [s for s in data.seconds if s.duration_s >= FULL_S]


def _time_axis(ax: Axes, data: ReportData, label: bool = True) -> None:
    end = max((s.end_s for s in data.seconds), default=1.0)
    ax.set_xlim(0.0, max(end, 1.0))
    if label:
        ax.set_xlabel("seconds from start")


def _finish(ax: Axes, data: ReportData, ylabel: str, from_zero: bool = False) -> None:
    """What every one-axis time plot ends with: y label, time axis, stages, legend."""
    if from_zero:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel)
    _time_axis(ax, data)
    _shade_stages(ax, data.stages, label=True)
    legend(ax)


STAGE_FONT_PT = 8


def _shade_stages(ax: Axes, stages: Sequence[Stage], label: bool) -> None:
    """Shade every other stage; name each one above the plot where its name fits.

    A breakpoint search makes a stage of every 5-second step: named each, their names ran into
    one another. A name that would touch the one before it is left out (the shading still shows
    the step, and the stage tables name it). Call after the x limits are set.
    """
    if len(stages) < 2:
        return
    x0, x1 = ax.get_xlim()
    points_per_s = ax.get_window_extent().width * 72 / ax.figure.dpi / max(x1 - x0, 1e-9)
    right_pt = -math.inf
    for i, stage in enumerate(stages):
        if i % 2:
            ax.axvspan(stage.start_s, stage.end_s, color="#000000", alpha=0.04, lw=0)
        if not label:
            continue
        middle = (stage.start_s + stage.end_s) / 2
        half_pt = len(stage.name) * STAGE_FONT_PT * 0.3  # about 0.6 em per character
        centre_pt = (middle - x0) * points_per_s
        if centre_pt - half_pt < right_pt + STAGE_FONT_PT / 2:
            continue
        right_pt = centre_pt + half_pt
        ax.text(
            middle,
            1.0,
            stage.name,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=STAGE_FONT_PT,
            color="#555555",
        )


def latency_over_time(data: ReportData) -> Plot:
    """P50/P95/P99/max per second (log scale) with the SLA bounds as dashed lines."""

    def draw(fig: Figure, ax: Axes) -> None:
        t = _times(data.seconds)
        for key, color in QUANTILE_COLORS.items():
            y = [s.latency_ms.get(key, math.nan) for s in data.seconds]
            ax.plot(t, y, color=color, lw=1.0 if key == "max" else 1.5, label=key.upper())
        for bound in data.sla_bounds:
            ax.axhline(bound.bound_ms, color=bound_color(bound), ls="--", lw=1, label=bound.label)
        log_ms(ax)
        _finish(ax, data, "latency, ms (log)")

    return draw_plot("latency", "Latency per second (from intended send time)", 3.8, 1, draw)


def rates(data: ReportData) -> Plot:
    """Offered (due) against achieved (completed) requests per second."""

    def draw(fig: Figure, ax: Axes) -> None:
        seconds = _full(data)
        t = _times(seconds)
        ax.plot(t, [s.offered_rps for s in seconds], color="#8c8c8c", lw=2, label="offered")
        ax.plot(
            t,
            [s.achieved_rps for s in seconds],
            color="#4c72b0",
            lw=1.5,
            label="achieved (completed)",
        )
        ok = [s.errors.get("ok", 0) / s.duration_s for s in seconds]
        ax.plot(t, ok, color="#55a868", lw=1, ls=":", label="ok")
        _finish(ax, data, "requests / s", from_zero=True)

    return draw_plot("rates", "Offered vs achieved rate", 3.4, 1, draw)


def errors_over_time(data: ReportData) -> Plot:
    """Failed requests per second, stacked by outcome class."""
    classes = sorted({k for s in data.seconds for k, v in s.errors.items() if k != "ok" and v})

    def draw(fig: Figure, ax: Axes) -> None:
        t = _times(data.seconds)
        bottom = np.zeros(len(t))
        for i, cls in enumerate(classes):
            y = np.array([s.errors.get(cls, 0) for s in data.seconds], dtype=float)
            ax.bar(t, y, width=0.9, bottom=bottom, color=ERROR_COLORS[i % 7], label=cls)
            bottom += y
        if not classes:
            ax.text(
                0.5,
                0.5,
                "no errors: every completed request was ok",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="#55a868",
            )
        _finish(ax, data, "failed requests / s", from_zero=True)

    return draw_plot("errors", "Errors by class per second", 3.0, 1, draw)


def cache_hit_rate(data: ReportData) -> Plot:
    """Cache hit ratio per second, from the cache tag and/or the target's own counters."""
    ratio = data.cache_hit_ratio()
    target = data.target.cache_hit_ratio if data.target else None

    def draw(fig: Figure, ax: Axes) -> None:
        if ratio:
            y = [math.nan if r is None else 100.0 * r for r in ratio]
            ax.plot(
                _times(data.seconds),
                y,
                color="#4c72b0",
                lw=1.5,
                label=f"header {data.cache_tag()}",
            )
        if target is not None and target.values:
            ax.plot(
                target.t_s,
                [100.0 * v for v in target.values],
                color="#55a868",
                lw=1.5,
                ls="--",
                label="target /metrics",
            )
        ax.set_ylim(0, 105)
        _finish(ax, data, "cache hit rate, %")

    return draw_plot("cache", "Cache hit rate", 3.0, 1, draw)


def target_resources(data: ReportData) -> Plot:
    """The target's CPU (cores) and resident memory (MiB) over the run."""
    assert data.target is not None  # callers check: this plot exists only when scraped

    def series(ax: Axes, lines: Sequence[Series], ylabel: str) -> None:
        for s in lines:
            ax.plot(s.t_s, s.values, lw=1.5, label=s.name)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        legend(ax)

    def draw(fig: Figure, cpu: Axes, mem: Axes) -> None:
        assert data.target is not None
        series(cpu, data.target.cpu, "CPU, cores")
        series(mem, data.target.memory, "memory, MiB")
        _time_axis(mem, data)
        _shade_stages(cpu, data.stages, label=True)
        _shade_stages(mem, data.stages, label=False)

    return draw_plot("target", "Target CPU and memory", 5.0, 2, draw)


def generator_health(data: ReportData) -> Plot:
    """Schedule lag P99 (with its bound), generator CPU and in-flight requests per second."""
    lag_bound = float(data.meta.get("lag_bound_ms", 10.0))

    def draw(fig: Figure, lag: Axes, cpu: Axes, inflight: Axes) -> None:
        seconds = _full(data)
        t = _times(seconds)
        lag.plot(
            t,
            [s.lag_p99_ms for s in seconds],
            color="#c44e52",
            lw=1.5,
            label="schedule lag P99",
        )
        lag.axhline(lag_bound, color=BOUND_COLOR, ls="--", lw=1, label=f"bound {lag_bound:g} ms")
        lag.set_ylabel("lag, ms")
        lag.set_ylim(bottom=0)
        cpu.plot(
            t,
            [100.0 * s.cpu for s in seconds],
            color="#8172b3",
            lw=1.5,
            label="CPU, busiest worker",
        )
        cpu.axhline(90, color=BOUND_COLOR, ls="--", lw=1, label="bound 90 %")
        cpu.set_ylim(0, 105)
        cpu.set_ylabel("CPU, % of a core")
        inflight.plot(
            t,
            [s.inflight_max for s in seconds],
            color="#4c72b0",
            lw=1.5,
            label="in flight (max)",
        )
        inflight.plot(
            t,
            [s.backlog for s in seconds],
            color="#dd8452",
            lw=1,
            label="backlog (due, not sent)",
        )
        inflight.set_ylim(bottom=0)
        inflight.set_ylabel("requests")
        _time_axis(inflight, data)
        for ax in (lag, cpu, inflight):
            _shade_stages(ax, data.stages, label=ax is lag)
            legend(ax)

    return draw_plot("generator", "Generator health: lag, CPU, in flight", 6.0, 3, draw)
