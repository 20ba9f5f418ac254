"""The generator watching itself, so it never blames the target for its own limits.

Two symptoms mean the numbers describe the generator rather than the target: the pacer dispatching
late (schedule lag: due requests not handed to the pool on time), and the generator's processes
running out of CPU. Either one flags the run as generator-bound.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram


class CpuMeter:
    """CPU used by this process between calls, as a fraction of one core."""

    __slots__ = ("_cpu", "_wall")

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def read(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        used = (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return used


@dataclass(frozen=True, slots=True)
class GeneratorHealth:
    """The verdict on the generator.

    Attributes:
        bound: True when the run's numbers cannot be trusted as the target's.
        reasons: why, one sentence each.
        lag_p99_ms: P99 of dispatch lag over the run.
        lag_max_ms: worst dispatch lag.
        cpu_max: highest per-worker CPU share seen in an interval (1.0 = a full core).
    """

    bound: bool
    reasons: tuple[str, ...]
    lag_p99_ms: float
    lag_max_ms: float
    cpu_max: float


def assess(
    lag: HdrHistogram,
    cpu_per_worker: Iterable[float],
    lag_p99_bound_ms: float = 10.0,
    cpu_bound: float = 0.9,
    cpu_sustained: int = 3,
) -> GeneratorHealth:
    """Judge a run from its whole-run lag histogram and per-second CPU (per worker, 1.0 = a core).

    Lag P99 above ``lag_p99_bound_ms``, or CPU >= ``cpu_bound`` for ``cpu_sustained`` consecutive
    seconds, makes it generator-bound.
    """
    has_lag = lag.get_total_count() > 0
    lag_p99 = lag.get_value_at_percentile(99) / 1000 if has_lag else 0.0
    lag_max = lag.get_max_value() / 1000 if has_lag else 0.0
    reasons = []
    if lag_p99 > lag_p99_bound_ms:
        reasons.append(
            f"schedule lag P99 {lag_p99:.1f} ms > {lag_p99_bound_ms:g} ms: the generator sent late"
        )
    streak = best = 0
    cpu_max = 0.0
    for cpu in cpu_per_worker:
        cpu_max = max(cpu_max, cpu)
        streak = streak + 1 if cpu >= cpu_bound else 0
        best = max(best, streak)
    if best >= cpu_sustained:
        reasons.append(f"generator CPU >= {cpu_bound:.0%} of a core for {best} consecutive seconds")
    return GeneratorHealth(bool(reasons), tuple(reasons), lag_p99, lag_max, cpu_max)
