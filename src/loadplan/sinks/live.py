"""The live terminal view.

Like rich's ``Live(get_renderable=...)``, the display pulls: the coordinator only stores the
latest second, and rich's refresh thread renders it a few times a second. Nothing the display does
can slow the engine (which runs in other processes anyway). When stdout is not a terminal, one
plain line per second is printed instead, for CI logs.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from loadplan.results.histogram import percentiles_ms
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.units import format_duration


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


class LiveView:
    """A ``Sink`` that shows the run as it goes.

    Example::

        with LiveView(Console(), planned_s=30.0) as view:
            view.update(snapshot, totals)   # called by the coordinator each second
    """

    def __init__(self, console: Console, planned_s: float, lag_bound_ms: float = 10.0) -> None:
        self.console = console
        self.planned_s = planned_s
        self.lag_bound_ms = lag_bound_ms
        self._snap: IntervalSnapshot | None = None
        self._totals: RunTotals | None = None
        self._live: Live | None = None

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live = Live(
                get_renderable=self.render,
                console=self.console,
                refresh_per_second=4,
                transient=False,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    def update(self, snap: IntervalSnapshot, totals: RunTotals) -> None:
        self._snap, self._totals = snap, totals
        if self._live is None:
            self.console.print(self.line(snap, totals), highlight=False, soft_wrap=True)

    def line(self, snap: IntervalSnapshot, totals: RunTotals) -> str:
        """The plain one-line form used when stdout is not a terminal."""
        now = percentiles_ms(snap.latency)
        errors = {k: v for k, v in snap.errors.items() if k != "ok"}
        err = " ".join(f"{k}={v}" for k, v in sorted(errors.items())) or "none"
        lag = percentiles_ms(snap.lag)
        rate = snap.completed / snap.duration_s
        offered = snap.due / snap.duration_s
        return (
            f"t={snap.end_s:6.1f}s stage={snap.stage or '-'} offered={offered:.0f}/s "
            f"achieved={rate:.0f}/s p50={_ms(now.get('p50'))} p95={_ms(now.get('p95'))} "
            f"p99={_ms(now.get('p99'))} max={_ms(now.get('max'))}ms errors: {err} "
            f"inflight={snap.inflight_max} lag_p99={_ms(lag.get('p99', 0.0))}ms "
            f"cpu={snap.busiest_worker()[0]:.0%}"
        )

    def render(self) -> Group:
        snap, totals = self._snap, self._totals
        if snap is None or totals is None:
            return Group(Text("loadplan: waiting for the first second…"))
        elapsed = snap.end_s
        remaining = max(self.planned_s - elapsed, 0.0)
        head = Text.assemble(
            ("loadplan ", "bold"),
            f"elapsed {format_duration(elapsed)} · remaining {format_duration(remaining)} · ",
            f"stage {snap.stage or '-'}",
        )
        table = Table(box=None, pad_edge=False)
        for col in ("", "offered/s", "achieved/s", "p50 ms", "p95 ms", "p99 ms", "max ms"):
            table.add_column(col, justify="right" if col else "left")
        now = percentiles_ms(snap.latency)
        whole = percentiles_ms(totals.latency)
        duration = max(totals.end_s, 1e-9)
        table.add_row(
            "last second",
            f"{snap.due / snap.duration_s:.0f}",
            f"{snap.completed / snap.duration_s:.0f}",
            *(_ms(now.get(k)) for k in ("p50", "p95", "p99", "max")),
        )
        table.add_row(
            "whole run",
            f"{totals.counts['due'] / duration:.0f}",
            f"{totals.counts['completed'] / duration:.0f}",
            *(_ms(whole.get(k)) for k in ("p50", "p95", "p99", "max")),
        )
        errors = {k: v for k, v in totals.errors.items() if k != "ok"}
        err_text = ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"
        lag = percentiles_ms(snap.lag)
        lag_p99 = lag.get("p99", 0.0)
        cpu = snap.busiest_worker()[0]
        healthy = lag_p99 <= self.lag_bound_ms and cpu < 0.9
        health = Text.assemble(
            ("generator ", "bold"),
            ("ok" if healthy else "STRAINED", "green" if healthy else "bold red"),
            f" · lag p99 {_ms(lag_p99)} ms · cpu {cpu:.0%} · in flight {snap.inflight_max}"
            f" · backlog {snap.backlog}",
        )
        return Group(head, table, Text(f"errors: {err_text}"), health)
