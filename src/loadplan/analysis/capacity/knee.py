"""The knee: where latency leaves its low-load baseline, and which metric moved first.

The baseline of each latency percentile is its value at the lowest-load step, where requests
seldom wait for each other. A percentile has *moved* at the first step where it is more than
``RATIO`` times its baseline and at least ``FLOOR_MS`` above it (the floor keeps sub-millisecond
jitter from reading as a knee); the error rate has moved when it rises ``ERROR_POINTS`` above its
baseline, throughput when completed/offered falls under ``THROUGHPUT_FLOOR``. The knee is the
first step where P95 moved: queueing has begun to dominate there, well before the SLA breaks.
The tail usually moves first (P99, then P95, then P50): which one did is reported too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadplan.analysis.capacity.steps import Step

RATIO = 1.5
FLOOR_MS = 1.0
ERROR_POINTS = 0.001
THROUGHPUT_FLOOR = 0.99
ORDER = ("p99", "p95", "p50", "error rate", "throughput")


@dataclass(frozen=True, slots=True)
class Knee:
    """Where latency turned.

    Attributes:
        qps: offered rate of the first step where P95 moved (None: it never did).
        step: that step's source.
        first_metric: the metric that moved at the lowest rate ("" if none did).
        moved: per metric, the offered rate where it first moved (None: never).
        baseline_ms: the lowest-load step's P50/P95/P99.
    """

    qps: float | None
    step: str
    first_metric: str
    moved: dict[str, float | None]
    baseline_ms: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        if self.qps is None:
            text = "P95 stayed within 1.5x of its low-load value at every step"
        else:
            base = self.baseline_ms.get("p95")
            first = self.first_metric
            at = self.moved.get(first)
            text = (
                f"{self.qps:,.0f} req/s ({self.step}): P95 left its low-load value "
                f"({base:.1f} ms) there; first to move: {first} at {at:,.0f} req/s"
            )
        return {
            "qps": None if self.qps is None else round(self.qps, 1),
            "step": self.step or None,
            "first_metric": self.first_metric or None,
            "moved_at_qps": self.moved,
            "baseline_ms": self.baseline_ms,
            "text": text,
        }


def find_knee(steps: Sequence[Step]) -> Knee:
    ordered = sorted(steps, key=lambda s: s.planned_qps)
    figs = [(s, s.figures()) for s in ordered]
    if not figs:
        return Knee(None, "", "", {}, {})
    base_fig = figs[0][1]
    baseline = {f"p{q:g}": base_fig.percentile_ms(q) for q in (50, 95, 99)}
    base_err = base_fig.error_rate or 0.0
    moved: dict[str, float | None] = dict.fromkeys(ORDER)
    where: dict[str, str] = {}
    for step, fig in figs[1:]:
        for name in ("p50", "p95", "p99"):
            base = baseline[name]
            value = fig.percentile_ms(float(name[1:]))
            if (
                moved[name] is None
                and base is not None
                and value is not None
                and value > RATIO * base
                and value - base >= FLOOR_MS
            ):
                moved[name], where[name] = fig.offered_qps, step.source
        if moved["error rate"] is None and (fig.error_rate or 0.0) > base_err + ERROR_POINTS:
            moved["error rate"] = fig.offered_qps
        if moved["throughput"] is None and (fig.throughput or 1.0) < THROUGHPUT_FLOOR:
            moved["throughput"] = fig.offered_qps
    seen = [(rate, ORDER.index(name), name) for name, rate in moved.items() if rate is not None]
    first = min(seen)[2] if seen else ""
    return Knee(moved["p95"], where.get("p95", ""), first, moved, baseline)
