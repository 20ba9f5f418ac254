"""Workers lost during a run: who, when, how, and the one line that marks the run degraded.

The coordinator keeps going when a worker dies (kill -9, the OOM killer, an exception): the
others carry on and every second the lost one reported is kept. The run has then offered less
than its plan from that moment, so its numbers cannot stand for the plan: summary.json says so
under ``"degraded"``, the verdict is inconclusive and the exit code is 3.
"""

from __future__ import annotations

import multiprocessing.process
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LostWorker:
    """A worker that ended before the run did.

    Attributes:
        worker: its number.
        at_s: when the coordinator noticed, seconds from the run's start.
        last_second: the last second it reported (-1: none); every one up to it is kept.
        why: how it ended ("killed by SIGKILL", "exit code 1", its exception).
    """

    worker: int
    at_s: float
    last_second: int
    why: str

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "at_s": round(self.at_s, 3),
            "last_second": self.last_second,
            "why": self.why,
        }


def how_it_ended(proc: multiprocessing.process.BaseProcess) -> str:
    """A dead worker's exit as a person reads it; waits a moment for the process to be reaped."""
    proc.join(timeout=1.0)
    code = proc.exitcode
    if code is None:
        return "stopped reporting (still running)"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def degraded_reason(lost: Sequence[LostWorker], workers: int) -> str:
    """One line: which workers were lost, when, how, and what went on without them."""
    parts = [f"worker {w.worker} lost at {w.at_s:.1f} s ({w.why})" for w in lost]
    left = workers - len(lost)
    rest = f"{left} of {workers} workers went on" if left else "no worker was left"
    return f"degraded: {'; '.join(parts)}; {rest}, so the offered load fell short of the plan"
