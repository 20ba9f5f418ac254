"""Steps made from simulated M/D/c latencies, as a staircase run would have recorded them."""

from __future__ import annotations

import numpy as np

from loadplan.analysis.capacity.steps import Step, StepSecond
from loadplan.results.histogram import new_histogram, record_many
from tests.support.mdc import sojourn_times


def simulated_step(
    index: int, rate: float, servers: int = 8, service_s: float = 0.02, seconds: int = 20,
    errors_per_second: int = 0,
) -> Step:  # fmt: skip
    """A step at ``rate`` of an M/D/c queue: its seconds hold the latencies of the requests that
    arrived in them (µs), as loadplan records latency from the due time."""
    arrivals, times = sojourn_times(rate, servers, service_s, int(rate * seconds) + 1, seed=index)
    start = index * seconds
    kept = []
    for k in range(seconds):
        inside = (arrivals >= k) & (arrivals < k + 1)
        hist = new_histogram()
        record_many(hist, np.round(times[inside] * 1e6).astype(np.int64))
        n = int(inside.sum())
        errors = {"timeout": errors_per_second} if errors_per_second else {}
        kept.append(StepSecond(float(start + k), n, n, n - errors_per_second, errors, 0, hist))
    label = f"stairs-{index}"
    return Step(label, "stairs", f"sim:{label}", rate, float(start), float(start + seconds),
                tuple(kept))  # fmt: skip


def staircase(rates: list[float], **kwargs: float) -> list[Step]:
    return [simulated_step(i, r, **kwargs) for i, r in enumerate(rates)]  # type: ignore[arg-type]
