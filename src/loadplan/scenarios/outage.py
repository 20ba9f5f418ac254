"""Outages of the target, found in the merged seconds: when it stopped taking connections and
when it answered again.

A target that dies mid-run (killed, restarted, redeployed) shows up second by second as
refused and reset connections; the counts are in every second already, but a person reading a
two-hour run wants the window itself: "unreachable from 41 s to 44 s, back at 44 s". The
coordinator feeds every merged second to an ``OutageWatch`` and writes its events into
summary.json ``"events"`` beside the cache flushes.

Only connection-level failures open an outage: a refused connect means nothing listens, a reset
means the process holding the connection went away. Timeouts and 5xx answers are the target
being slow or failing, not gone; the timeouts inside a window are counted with it, since a
request caught by the kill may end as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadplan.engine.request import ErrorClass
from loadplan.results.snapshot import IntervalSnapshot

OUTAGE_CLASSES = (ErrorClass.CONNECT_REFUSED.value, ErrorClass.CONNECTION_RESET.value)
"""The error classes that mean the target was not there (they open and extend an outage)."""

COUNTED_CLASSES = (*OUTAGE_CLASSES, ErrorClass.TIMEOUT.value)
"""The error classes an outage's event counts."""


@dataclass(frozen=True, slots=True)
class Outage:
    """Consecutive seconds with connection-level failures.

    Attributes:
        from_s: start of the first such second, seconds from the run's start.
        to_s: end of the last one.
        errors: failed requests in the window by class (refused, reset, timeout).
        ok: requests answered ok in the window (the target's partial seconds).
        back_s: start of the first second after it without such failures, None if the run
            ended first.
    """

    from_s: float
    to_s: float
    errors: dict[str, int]
    ok: int
    back_s: float | None

    def to_json(self) -> list[dict[str, Any]]:
        """One "target unreachable" event, and a "target back" one if it came back."""
        events: list[dict[str, Any]] = [
            {
                "event": "target unreachable",
                "from_s": round(self.from_s, 3),
                "to_s": round(self.to_s, 3),
                "errors": dict(self.errors),
                "ok": self.ok,
            }
        ]
        if self.back_s is not None:
            events.append({"event": "target back", "t_s": round(self.back_s, 3)})
        return events


@dataclass(slots=True)
class OutageWatch:
    """A coordinator sink: feed it each merged second in order; ``outages`` are what it found.

    Example::

        watch = OutageWatch()
        for snap in seconds:
            watch.see(snap)
        watch.outages   # (Outage(from_s=2.0, to_s=4.0, errors={...}, ok=31, back_s=4.0),)
    """

    _done: list[Outage] = field(default_factory=list)
    _open: tuple[float, float, dict[str, int], int] | None = None

    def see(self, snap: IntervalSnapshot) -> None:
        errors = snap.errors
        down = any(errors.get(name, 0) for name in OUTAGE_CLASSES)
        if down:
            counts = {name: errors[name] for name in COUNTED_CLASSES if errors.get(name)}
            ok = errors.get(ErrorClass.OK.value, 0)
            if self._open is None:
                self._open = (snap.start_s, snap.end_s, counts, ok)
            else:
                start, _, so_far, ok_so_far = self._open
                for name, n in counts.items():
                    so_far[name] = so_far.get(name, 0) + n
                self._open = (start, snap.end_s, so_far, ok_so_far + ok)
        elif self._open is not None and snap.completed:
            self._close(snap.start_s)

    def _close(self, back_s: float | None) -> None:
        assert self._open is not None
        start, end, counts, ok = self._open
        self._done.append(Outage(start, end, counts, ok, back_s))
        self._open = None

    @property
    def outages(self) -> tuple[Outage, ...]:
        """Every outage so far; one still going is included, with ``back_s`` None."""
        if self._open is None:
            return tuple(self._done)
        start, end, counts, ok = self._open
        return (*self._done, Outage(start, end, dict(counts), ok, None))

    def events(self) -> list[dict[str, Any]]:
        return [event for outage in self.outages for event in outage.to_json()]
