"""Cache sizing: the hit rate an LRU cache of each size should reach on the run's own workload.

The expected hit rates come from Che's approximation (``workload/lru.py``) over the exact
traffic shares of the plan's workload, the same numbers ``loadplan workload inspect`` shows. Set
beside the hit rate the target measured in its warm stages, they answer two questions a
capacity plan needs: "what size keeps the SLA's hit-rate floor?" and "what does the cache we
have behave like?" (the *effective size*: the LRU size whose expected hit rate equals the
measured one; far below the configured size means entries expire, or are evicted by something
else, before their popularity pays).

Che describes a warm cache under independent requests in steady state: a TTL shorter than
the characteristic time, several instances each with a cache of its own (each sees 1/k of the
traffic: for the same hit rate, each needs the size of one cache at full traffic), or a
workload whose popularity drifts, all make real hit rates lower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loadplan.workload.lru import che_hit_rate

GRID_POINTS = 40


@dataclass(frozen=True, slots=True)
class CachePoint:
    """Expected steady-state hit rate of an LRU cache holding ``size`` responses."""

    size: int
    hit_rate: float


@dataclass(frozen=True, slots=True)
class CacheSizing:
    """The cache part of a capacity plan.

    Attributes:
        distinct: distinct requests in the workload (a cache this large holds them all).
        curve: expected hit rate by cache size, sizes on a log grid up to ``distinct``.
        measured: the hit rate the target measured in its warm stages, None if not measured.
        measured_where: where ``measured`` came from ("target metrics", "X-Cache header").
        effective_size: the LRU size whose expected hit rate equals ``measured``.
        floor: the SLA's hit-rate floor ([slo] cache_hit_rate), None without one.
        size_for_floor: the smallest size whose expected hit rate reaches ``floor``; None
            without a floor.
    """

    distinct: int
    curve: tuple[CachePoint, ...]
    measured: float | None
    measured_where: str
    effective_size: int | None
    floor: float | None
    size_for_floor: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": "LRU, Che's approximation over the workload's traffic shares",
            "distinct_requests": self.distinct,
            "measured_hit_rate": self.measured,
            "measured_from": self.measured_where or None,
            "effective_size": self.effective_size,
            "floor": self.floor,
            "size_for_floor": self.size_for_floor,
            "curve": [{"size": p.size, "hit_rate": round(p.hit_rate, 4)} for p in self.curve],
        }


def size_cache(
    probs: npt.NDArray[np.float64],
    measured: float | None = None,
    measured_where: str = "",
    floor: float | None = None,
    sizes: Sequence[int] = (),
) -> CacheSizing:
    """Size an LRU cache for a workload whose distinct requests have traffic shares ``probs``.

    Example::

        sizing = size_cache(zipf_weights(100_000, 1.0), measured=0.55, floor=0.5)
        sizing.size_for_floor      # the smallest cache that keeps a 50 % hit rate
    """
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    if len(p) == 0:
        msg = "the workload has no requests with a traffic share above 0"
        raise ValueError(msg)
    p = p / p.sum()
    distinct = len(p)
    grid = sorted(set(sizes) | set(_log_grid(distinct)))
    curve = tuple(CachePoint(c, che_hit_rate(p, c)) for c in grid)
    effective = _smallest_size_reaching(p, measured) if measured is not None else None
    for_floor = _smallest_size_reaching(p, floor) if floor is not None else None
    return CacheSizing(distinct, curve, measured, measured_where, effective, floor, for_floor)


def _log_grid(distinct: int) -> list[int]:
    top = max(distinct, 2)
    return sorted({round(float(x)) for x in np.geomspace(1, top, GRID_POINTS)} | {distinct})


def _smallest_size_reaching(p: npt.NDArray[np.float64], target: float) -> int:
    """The smallest cache size whose expected hit rate is at least ``target`` (the hit rate
    rises with the size, so a bisection over sizes finds it)."""
    if target <= 0:
        return 0
    distinct = len(p)
    if target >= 1.0:
        return distinct
    low, high = 0, distinct  # che_hit_rate(p, distinct) == 1.0 >= target
    while high - low > 1:
        middle = (low + high) // 2
        if che_hit_rate(p, middle) >= target - 1e-9:  # a tolerance for round-off
            high = middle
        else:
            low = middle
    return high
