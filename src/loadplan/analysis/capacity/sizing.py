"""Instances for growth: from one instance's max QPS under the SLA to a fleet, with headroom
and redundancy.

For a growth factor g over today's peak P, with headroom h (the share of each instance's
capacity kept free for bursts the averages hide) and redundancy k (N+k: instances that may be
lost, to a failure or a deploy, without breaking the SLA)::

    serving   = ceil(P * g / (max_qps * (1 - h)))     instances that carry the peak at <= 1 - h
    instances = serving + k

With every instance up each carries P * g / instances (utilisation = that / max_qps); with k
lost each carries P * g / serving, still at or under max_qps * (1 - h). The P95/P99 are at
the per-instance load with every instance up, read from the measured steps (``latency.py``:
the per-instance load is always below the measured max, so inside the measured range; a model
is used only beyond the steps, and only a validated one), with the range the same curve gives
between the max QPS interval's ends (a smaller capacity at the same utilisation means a higher
load relative to it, so higher latency).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadplan.analysis.capacity.latency import LatencyCurve, LatencyEstimate
from loadplan.analysis.capacity.maxqps import MaxQps

DEFAULT_GROWTH = (1.0, 1.5, 2.0, 3.0)


@dataclass(frozen=True, slots=True)
class GrowthRow:
    """One growth factor's fleet.

    Attributes:
        growth: the factor over today's peak.
        peak_qps: the grown peak.
        instances: instances to run (serving + redundancy).
        per_instance_qps: load per instance at the peak, all up.
        utilisation: that over the max QPS under the SLA.
        degraded_per_instance_qps: load per instance with ``redundancy`` instances lost.
        p95_ms: P95 per instance at the peak (None: not known at that load).
        p99_ms: P99.
        p95_ms_range: (low, high) of the P95 over the max QPS interval.
        p99_ms_range: the same for P99.
        latency_source: where P95/P99 came from ("interpolated", "measured", "lowest step",
            "model", "none"; see ``LatencyEstimate``).
        latency_from: the same in words, naming the steps.
    """

    growth: float
    peak_qps: float
    instances: int
    per_instance_qps: float
    utilisation: float
    degraded_per_instance_qps: float
    p95_ms: float | None
    p99_ms: float | None
    p95_ms_range: tuple[float | None, float | None]
    p99_ms_range: tuple[float | None, float | None]
    latency_source: str = "none"
    latency_from: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "growth": self.growth,
            "peak_qps": round(self.peak_qps, 1),
            "instances": self.instances,
            "per_instance_qps": round(self.per_instance_qps, 1),
            "utilisation": round(self.utilisation, 4),
            "degraded_per_instance_qps": round(self.degraded_per_instance_qps, 1),
            "p95_ms": _r(self.p95_ms),
            "p99_ms": _r(self.p99_ms),
            "p95_ms_low": _r(self.p95_ms_range[0]),
            "p95_ms_high": _r(self.p95_ms_range[1]),
            "p99_ms_low": _r(self.p99_ms_range[0]),
            "p99_ms_high": _r(self.p99_ms_range[1]),
            "latency_source": self.latency_source,
            "latency_from": self.latency_from,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def plan_growth(
    peak_qps: float,
    capacity: MaxQps,
    latency: LatencyCurve | None = None,
    growth: Sequence[float] = DEFAULT_GROWTH,
    headroom: float = 0.3,
    redundancy: int = 1,
) -> tuple[GrowthRow, ...]:
    """One row per growth factor, in increasing order."""
    if peak_qps <= 0:
        msg = f"peak = {peak_qps:g}: the peak must be > 0 requests per second"
        raise ValueError(msg)
    if not 0 <= headroom < 1:
        msg = f"headroom = {headroom:g}: must be >= 0 and < 1 (e.g. 0.3 for 30 %)"
        raise ValueError(msg)
    if redundancy < 0:
        msg = f"redundancy = {redundancy}: must be >= 0 (1 for N+1)"
        raise ValueError(msg)
    rows = []
    for g in sorted(set(growth)):
        grown = peak_qps * g
        serving = max(1, math.ceil(grown / (capacity.value * (1 - headroom)) - 1e-9))
        instances = serving + redundancy
        per = grown / instances
        here = _at(latency, per, 1.0)
        low, high = _ends(latency, per, capacity)
        rows.append(
            GrowthRow(
                growth=g,
                peak_qps=grown,
                instances=instances,
                per_instance_qps=per,
                utilisation=per / capacity.value,
                degraded_per_instance_qps=grown / serving,
                p95_ms=here.p95_ms,
                p99_ms=here.p99_ms,
                p95_ms_range=(low.p95_ms, high.p95_ms),
                p99_ms_range=(low.p99_ms, high.p99_ms),
                latency_source=here.source,
                latency_from=here.text,
            )
        )
    return tuple(rows)


def _at(latency: LatencyCurve | None, qps: float, scale: float) -> LatencyEstimate:
    """The curve at ``qps`` on an instance whose capacity is ``scale`` times the measured one
    (the load is scaled instead: the same utilisation)."""
    if latency is None:
        return LatencyEstimate(None, None, "none", "no measured steps given")
    return latency.at(qps / scale)


def _ends(
    latency: LatencyCurve | None, qps: float, capacity: MaxQps
) -> tuple[LatencyEstimate, LatencyEstimate]:
    """The curve at ``qps`` on instances at the max QPS interval's high and low ends."""
    if capacity.value <= 0 or capacity.low <= 0:
        unknown = LatencyEstimate(None, None, "none", "no max QPS interval")
        return unknown, unknown
    return (
        _at(latency, qps, capacity.high / capacity.value),
        _at(latency, qps, capacity.low / capacity.value),
    )
