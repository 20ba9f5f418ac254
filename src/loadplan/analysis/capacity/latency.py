"""Latency at a given load: measured where the run measured it, modelled only beyond, if at all.

Inside the range of the measured steps a prediction is not needed: the steps' whole-step
P95/P99 are the measurement, and between two steps the value is interpolated linearly in the
offered rate. The measured points are first made monotone (each step's value is at least the
highest value of any step below it): latency does not fall as load rises, so a lower step's
value is a floor for a higher one, and a step that came out faster than the one below it (noise
from a shared machine) is read on the safe side rather than as an improvement.

Below the lowest step the lowest step's value is given (at less load the latency is at most
that). Beyond the highest step only a model that passed its out-of-sample check
(``validation.py``) may say anything; without one the estimate says it is not predicted.

Example::

    curve = latency_curve(zip(sources, facts), model=check.usable)
    curve.at(1200.0).p95_ms, curve.at(1200.0).text
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from loadplan.analysis.capacity.bottleneck import StepFacts
from loadplan.analysis.capacity.queueing import QueueModel

Source = Literal["measured", "interpolated", "lowest step", "model", "none"]


@dataclass(frozen=True, slots=True)
class LatencyEstimate:
    """P95/P99 at one load, and where they came from.

    Attributes:
        p95_ms: the P95 (None: not known there).
        p99_ms: the P99.
        source: "measured" (at a step), "interpolated" (between two steps), "lowest step"
            (below every step: the lowest step's value, an upper estimate), "model" (beyond
            the steps, from a validated model), or "none".
        text: the same in words, naming the steps.
    """

    p95_ms: float | None
    p99_ms: float | None
    source: Source
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "p95_ms": _r(self.p95_ms),
            "p99_ms": _r(self.p99_ms),
            "source": self.source,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One measured step on the monotone curve.

    Attributes:
        source: the step (``RUN_DIR:label``).
        qps: its offered rate.
        p95_ms: its P95 made monotone (at least any lower step's).
        p99_ms: the same for P99.
    """

    source: str
    qps: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class LatencyCurve:
    """The measured steps as a monotone curve, and the validated model for beyond them.

    Attributes:
        points: the steps with answers, in increasing rate.
        model: a model that passed its out-of-sample check, or None.
    """

    points: tuple[CurvePoint, ...]
    model: QueueModel | None = None

    def at(self, qps: float) -> LatencyEstimate:
        """P95/P99 at ``qps`` offered requests per second (see the module docstring)."""
        if not self.points:
            return LatencyEstimate(None, None, "none", "no step has answers")
        low = self.points[0]
        top = self.points[-1]
        if qps <= low.qps:
            source: Source = "measured" if qps == low.qps else "lowest step"
            text = f"measured at {_at(low)}" + ("" if qps == low.qps else ", the lowest step")
            return LatencyEstimate(low.p95_ms, low.p99_ms, source, text)
        if qps > top.qps:
            return self._beyond(qps, top)
        upper = next(i for i, p in enumerate(self.points) if p.qps >= qps)
        b = self.points[upper]
        a = self.points[upper - 1]
        if b.qps == qps:
            return LatencyEstimate(b.p95_ms, b.p99_ms, "measured", f"measured at {_at(b)}")
        share = (qps - a.qps) / (b.qps - a.qps)
        return LatencyEstimate(
            a.p95_ms + share * (b.p95_ms - a.p95_ms),
            a.p99_ms + share * (b.p99_ms - a.p99_ms),
            "interpolated",
            f"interpolated between {_at(a)} and {_at(b)}",
        )

    def _beyond(self, qps: float, top: CurvePoint) -> LatencyEstimate:
        if self.model is None:
            text = f"beyond the highest step, {_at(top)}: not predicted (no validated model)"
            return LatencyEstimate(None, None, "none", text)
        return LatencyEstimate(
            self.model.percentile_ms(qps, 95.0),
            self.model.percentile_ms(qps, 99.0),
            "model",
            f"beyond the highest step, {_at(top)}: the validated M/G/c model",
        )


def latency_curve(
    steps: Iterable[tuple[str, StepFacts]], model: QueueModel | None = None
) -> LatencyCurve:
    """The monotone curve of the steps with a P95 and P99 (``(source, facts)`` pairs, any
    order), with ``model`` for beyond them (pass only a validated one)."""
    measured: list[tuple[float, str, float, float]] = []
    for source, f in steps:
        if f.p95_ms is not None and f.p99_ms is not None:
            measured.append((f.offered_qps, source, f.p95_ms, f.p99_ms))
    points = []
    p95 = p99 = 0.0
    for qps, source, step_p95, step_p99 in sorted(measured):
        p95, p99 = max(p95, step_p95), max(p99, step_p99)
        points.append(CurvePoint(source, qps, p95, p99))
    return LatencyCurve(tuple(points), model)


def _at(point: CurvePoint) -> str:
    return f"{point.source} ({point.qps:,.0f} req/s)"


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
