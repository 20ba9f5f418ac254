"""The SLA verdict as a report reads it back, and the latency bounds it draws on the plots.

summary.json holds the verdict as ``loadplan.verdict.Verdict.to_json`` wrote it, and it is read
back with ``Verdict.from_json``: the report shows the same rows and counts the same checks as
the terminal did at the end of the run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loadplan.errors import RunDirError
from loadplan.verdict import Verdict

_LATENCY = re.compile(r"^p(\d{1,2}(?:\.\d+)?) latency$")
"""How slo.py names a latency objective: "p95 latency" (the bound in ms is the row's limit)."""


@dataclass(frozen=True, slots=True)
class SlaBound:
    """A latency bound to draw: P``percentile`` must stay at or below ``bound_ms``."""

    percentile: float
    bound_ms: float

    @property
    def label(self) -> str:
        return f"P{self.percentile:g} bound {self.bound_ms:g} ms"


def read_verdict(summary: Mapping[str, Any], source: str = "summary.json") -> Verdict | None:
    """The verdict in ``summary``, or None when the plan stated no SLA objectives."""
    raw = summary.get("verdict")
    if raw is None:
        return None
    try:
        return Verdict.from_json(raw)
    except ValueError as exc:
        msg = f"{source}: verdict: {exc}; re-run the suite, or delete the verdict to report without"
        raise RunDirError(msg) from None


def latency_bounds(verdict: Verdict) -> tuple[SlaBound, ...]:
    """Distinct (percentile, bound) pairs of the latency objectives, lowest percentile first."""
    found = set()
    for row in verdict.rows:
        match = _LATENCY.match(row.objective)
        if match and row.limit is not None and row.limit > 0:
            found.add((float(match.group(1)), row.limit))
    return tuple(SlaBound(p, bound) for p, bound in sorted(found))
