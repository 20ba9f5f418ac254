"""M/D/c by simulation: the truth a capacity estimate is checked against.

Poisson arrivals at rate λ, c servers, every service exactly d seconds, FIFO: each arrival takes
the server that frees first. Seeded, so a test gets the same truth every time.
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt


def sojourn_times(
    rate: float, servers: int, service_s: float, count: int, seed: int = 1
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(arrival times, time in system) of ``count`` requests, seconds."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, size=count))
    free = [0.0] * servers
    out = np.empty(count)
    for i, t in enumerate(arrivals.tolist()):
        start = max(t, heapq.heappop(free))
        heapq.heappush(free, start + service_s)
        out[i] = start + service_s - t
    return arrivals, out


def rate_at_percentile(
    bound_s: float, q: float, servers: int, service_s: float, count: int = 200_000
) -> float:
    """The arrival rate at which the q-th percentile of the time in system equals ``bound_s``."""
    low, high = 0.01 * servers / service_s, servers / service_s
    for _ in range(30):
        middle = (low + high) / 2
        _, times = sojourn_times(middle, servers, service_s, count)
        low, high = (middle, high) if np.percentile(times, q) <= bound_s else (low, middle)
    return (low + high) / 2
