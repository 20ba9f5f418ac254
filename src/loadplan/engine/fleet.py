"""The workers of a run as the coordinator sees them: a fleet that reports, second by second.

The coordinator (``scenarios.runner``) does not care where the workers run: forked processes on
this machine (``scenarios.process_fleet``) or Ray actors over a cluster (``loadplan.cluster``).
Either way it prepares them, names a start, and reads what they report until each has finished,
failed or been lost; the merging, the run log and the verdict are the same.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from loadplan.engine.client import Target
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import RequestSource
from loadplan.engine.worker import WorkerSpec


class ReportKind(enum.StrEnum):
    SNAP = "snap"
    DONE = "done"
    ERROR = "error"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class Report:
    """What one worker said: a second (``raw``), that it finished, failed (``why``) or was lost."""

    worker: int
    kind: ReportKind
    raw: RawInterval | None = None
    why: str = ""


class Fleet(Protocol):
    """N workers somewhere, driven through one run."""

    @property
    def size(self) -> int:
        """How many workers the run has (known after ``prepare``)."""
        ...

    @property
    def lead_ns(self) -> int:
        """How far ahead of now the common start must be for every worker to be ready."""
        ...

    def prepare(self, target: Target, source: RequestSource) -> dict[str, Any] | None:
        """Get the workers ready to start, or raise a one-line error; return what to record in
        meta.json about where they run (None for nothing to record)."""
        ...

    def start(self, specs: Sequence[WorkerSpec]) -> None:
        """Start one worker per spec; ``spec.start_ns`` is on this process's monotonic clock."""
        ...

    def reports(self, timeout_s: float) -> list[Report]:
        """What the workers said since the last call, waiting up to ``timeout_s`` for something.

        A worker's last report is DONE, ERROR or LOST; after it, nothing more comes from it.
        """
        ...

    def stop(self) -> None:
        """Ask every worker to stop sending and report what it has; returns at once."""
        ...

    def close(self) -> dict[str, Any] | None:
        """Free the workers (join, kill what is left); must not raise. Returns what to record in
        summary.json about the fleet after the run (None for nothing)."""
        ...
