"""The live view renders from the latest second, against a captured console (rich's own way)."""

from __future__ import annotations

from rich.console import Console

from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.sinks.live import LiveView

MS = 1_000_000


def one_second(index: int, lag_ms: int = 1) -> tuple:
    rec = Recorder()
    rec.dispatched_all([0] * 100, lag_ms * MS)
    for i in range(100):
        rec.sent_one()
        error = ErrorClass.OK if i < 98 else ErrorClass.HTTP_5XX
        rec.record((), 0, 0, (i + 1) * MS, error, 200 if i < 98 else 503)
    snap = IntervalSnapshot.from_raw(
        rec.cut(index, float(index), index + 1.0, stage="constant", cpu=0.4)
    )
    totals = RunTotals()
    totals.add(snap)
    return snap, totals


def test_renders_rates_percentiles_errors_and_health() -> None:
    console = Console(width=120, color_system=None, record=True, force_terminal=False)
    view = LiveView(console, planned_s=30.0)
    snap, totals = one_second(4)
    view.update(snap, totals)  # not a terminal: one plain line
    console.print(view.render())
    text = console.export_text()
    assert "t=   5.0s stage=constant offered=100/s achieved=100/s" in text
    assert "p99=99.0" in text
    assert "errors: http_5xx=2" in text
    assert "elapsed 5s · remaining 25s · stage constant" in text
    assert "whole run" in text
    assert "generator ok" in text


def test_strained_generator_is_called_out() -> None:
    console = Console(width=120, color_system=None, record=True)
    view = LiveView(console, planned_s=30.0, lag_bound_ms=10.0)
    snap, totals = one_second(0, lag_ms=50)
    view.update(snap, totals)
    console.print(view.render())
    assert "generator STRAINED" in console.export_text()


def test_before_the_first_second() -> None:
    console = Console(width=80, color_system=None, record=True)
    console.print(LiveView(console, planned_s=5).render())
    assert "waiting for the first second" in console.export_text()
