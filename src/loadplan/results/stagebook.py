"""Per-stage results, kept while the run goes: what the verdict and per-stage summaries read.

A ``StageBook`` is a sink: it sees every merged second and files it under the second's stage
label. It keeps, per label, whole-stage totals (exact histograms, ``RunTotals``); per second, a
small row of counts and percentiles (spike recovery and breakpoints are decided on seconds);
and per label, the P95 of each ``window_s`` window (a long stage's drift is fitted to those).
Memory stays flat: one row per second and one open histogram per label, whatever the length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from loadplan.engine.request import ErrorClass
from loadplan.results.histogram import new_histogram, percentiles_ms
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot

SECOND_QUANTILES = (50, 90, 95, 99, 99.9)


@dataclass(frozen=True, slots=True)
class SecondRow:
    """One merged second, reduced to what per-second judgements need.

    Attributes:
        index: the second's number from the run's start.
        start_s: its start, seconds from the run's start.
        end_s: its end (a last, partial second ends early).
        label: the stage label it carries.
        due: requests that fell due in it.
        completed: requests that ended in it.
        ok: of those, the ones answered 1xx-3xx.
        refused: of those, the ones whose connection was refused (nothing listening).
        latency_ms: P50 ... P99.9 and max of the second's latency; empty with no answers.
    """

    index: int
    start_s: float
    end_s: float
    label: str
    due: int
    completed: int
    ok: int
    refused: int
    latency_ms: dict[str, float]

    @property
    def full(self) -> bool:
        """A whole second (the run's last one is usually partial)."""
        return self.end_s - self.start_s >= 0.99

    @classmethod
    def of(cls, snap: IntervalSnapshot) -> SecondRow:
        return cls(
            index=snap.index,
            start_s=snap.start_s,
            end_s=snap.end_s,
            label=snap.stage,
            due=snap.due,
            completed=snap.completed,
            ok=snap.ok,
            refused=snap.errors.get(ErrorClass.CONNECT_REFUSED.value, 0),
            latency_ms=percentiles_ms(snap.latency, SECOND_QUANTILES),
        )


@dataclass(frozen=True, slots=True)
class WindowP95:
    """The P95 of one drift window of a stage.

    Attributes:
        start_s: the window's start, seconds from the run's start.
        length_s: seconds of data in it.
        p95_ms: its latency P95.
        count: latency values behind it.
    """

    start_s: float
    length_s: float
    p95_ms: float
    count: int


@dataclass(slots=True)
class _OpenWindow:
    number: int
    start_s: float
    end_s: float
    hist: HdrHistogram = field(default_factory=new_histogram)


class StageBook:
    """A ``Sink`` filing each second under its stage label.

    Example::

        book = StageBook(window_s=60)
        execute(plan, run_dir, meta, sinks=[book])
        book.finish()
        book.totals_of(["spike", "spike-recovery"]).latency   # the spike stage's histogram
    """

    def __init__(self, window_s: float = 60.0) -> None:
        if window_s <= 0:
            msg = f"window_s = {window_s!r}: must be > 0 seconds"
            raise ValueError(msg)
        self.window_s = window_s
        self.totals: dict[str, RunTotals] = {}
        self.seconds: list[SecondRow] = []
        self.windows: dict[str, list[WindowP95]] = {}
        self._first: dict[str, float] = {}
        self._open: dict[str, _OpenWindow] = {}

    def update(self, snap: IntervalSnapshot, totals: RunTotals) -> None:
        label = snap.stage
        if label not in self.totals:
            self.totals[label] = RunTotals()
            self._first[label] = snap.start_s
        self.totals[label].add(snap)
        self.seconds.append(SecondRow.of(snap))
        number = int((snap.start_s - self._first[label]) // self.window_s)
        window = self._open.get(label)
        if window is not None and window.number != number:
            self._close(label, window)
            window = None
        if window is None:
            window = self._open[label] = _OpenWindow(number, snap.start_s, snap.end_s)
        window.hist.add(snap.latency)
        window.end_s = snap.end_s

    def finish(self) -> None:
        """Close the windows still open (the run is over)."""
        for label, window in list(self._open.items()):
            self._close(label, window)

    def _close(self, label: str, window: _OpenWindow) -> None:
        del self._open[label]
        length = window.end_s - window.start_s
        count = window.hist.get_total_count()
        # A trailing scrap of a window says little about the trend; half a window or more counts.
        if count and length >= self.window_s / 2:
            p95 = window.hist.get_value_at_percentile(95) / 1000
            self.windows.setdefault(label, []).append(WindowP95(window.start_s, length, p95, count))

    def totals_of(self, labels: Iterable[str]) -> RunTotals:
        """The exact totals of several labels together (a stage's steps, all judged stages)."""
        out = RunTotals()
        for label in labels:
            part = self.totals.get(label)
            if part is not None:
                out.merge(part)
        return out

    def seconds_of(self, labels: Iterable[str]) -> list[SecondRow]:
        wanted = set(labels)
        return [row for row in self.seconds if row.label in wanted]
