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


def shaped_step(index: int, rate: float, median_ms: float, seconds: int = 10) -> Step:
    """A step at ``rate`` whose latencies are lognormal around ``median_ms`` (spread 0.3):
    for a target whose latency the test sets directly (flat, then a collapse), unlike a queue."""
    rng = np.random.default_rng(index)
    start = index * seconds
    kept = []
    n = int(rate)
    for k in range(seconds):
        hist = new_histogram()
        times_us = median_ms * 1000 * rng.lognormal(0.0, 0.3, n)
        record_many(hist, np.round(times_us).astype(np.int64))
        kept.append(StepSecond(float(start + k), n, n, n, {}, 0, hist))
    label = f"stairs-{index}"
    return Step(label, "stairs", f"ref:{label}", rate, float(start), float(start + seconds),
                tuple(kept))  # fmt: skip


COLLAPSE_RATES = [500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0, 2250.0, 2500.0, 2750.0,
                  3000.0, 3250.0, 3500.0, 3750.0]  # fmt: skip


def collapsing(knee_qps: float = 3300.0) -> list[Step]:
    """One event loop's shape: a few ms flat up to ``knee_qps``, then hundreds of ms (the loop
    is past its core and everything queues)."""
    return [
        shaped_step(i, r, 3.0 if r < knee_qps else 400.0 + (r - knee_qps))
        for i, r in enumerate(COLLAPSE_RATES)
    ]
