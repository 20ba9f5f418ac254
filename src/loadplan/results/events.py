"""Things that happened to a run besides its requests: cache flushes, a target's restart, ...

Events are streamed to ``RUN_DIR/events.jsonl`` as they happen, one JSON line each, flushed,
like the seconds beside them: a run killed after its cache flush still knows the flush happened,
and a verdict made again from the run directory sees the same events the live run saw.

Example::

    EventLog(run_dir).append(RunEvent("cache flush", 239.9, "cache-cold", True, "HTTP 200"))
    read_events(run_dir)     # (RunEvent("cache flush", 239.9, ...),)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadplan.results.linefile import LineFile

EVENTS = "events.jsonl"

CACHE_FLUSH = "cache flush"


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One event.

    Attributes:
        kind: what happened ("cache flush", ...).
        t_s: when, seconds from the run's start; None when it could not happen at all (a flush
            the plan gave no hook for).
        stage: the stage it concerns ("" if none).
        ok: whether it went as intended.
        detail: what was answered, or why not, in words.
    """

    kind: str
    t_s: float | None
    stage: str = ""
    ok: bool = True
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "stage": self.stage,
            "t_s": self.t_s,
            "ok": self.ok,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, raw: Any) -> RunEvent:
        """An event as ``to_json`` wrote it; ValueError naming the field when it is not one."""
        if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
            msg = "an event must be a table with an 'event' name"
            raise ValueError(msg)
        t_s = raw.get("t_s")
        if t_s is not None and (isinstance(t_s, bool) or not isinstance(t_s, int | float)):
            msg = f"event {raw['event']!r}: t_s must be a number or null"
            raise ValueError(msg)
        return cls(
            kind=raw["event"],
            t_s=None if t_s is None else float(t_s),
            stage=str(raw.get("stage", "")),
            ok=bool(raw.get("ok", True)),
            detail=str(raw.get("detail", "")),
        )


class EventLog:
    """Appends events to ``RUN_DIR/events.jsonl``; safe to call from the services' threads.

    The file is opened for each event (events come seldom) so the log needs no closing and a
    run directory not yet created by the run log is no problem until the first event.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / EVENTS
        self._lock = threading.Lock()
        self.write_error: str | None = None
        """Why an event could not be written (a full disk), or None."""

    def append(self, event: RunEvent) -> None:
        """Append ``event`` as one whole line. A failed write (a full disk) is kept in
        ``write_error``, never raised on the service thread that called: the run log fails on
        the same disk and ends the run with one line, and events.jsonl stays whole lines."""
        line = json.dumps(event.to_json(), separators=(",", ":")) + "\n"
        with self._lock:
            try:
                log = LineFile(self.path)
            except OSError as exc:
                self.write_error = exc.strerror or type(exc).__name__
                return
            try:
                log.append(line.encode("utf-8"))
            except OSError as exc:
                self.write_error = exc.strerror or type(exc).__name__
            finally:
                log.close()


def read_events(run_dir: Path) -> tuple[RunEvent, ...]:
    """The run's events in the order they were written; a torn or damaged line ends the list."""
    path = run_dir / EVENTS
    if not path.exists():
        return ()
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                out.append(RunEvent.from_json(json.loads(line)))
            except ValueError:
                break
    return tuple(out)
