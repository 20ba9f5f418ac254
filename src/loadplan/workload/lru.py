"""Expected hit rate of an LRU cache under a known popularity, by Che's approximation.

Under independent requests (each draws item i with probability p_i), an LRU cache of C items
behaves as if every item stayed in the cache for the same "characteristic time" T after its last
request: item i is a hit when it was requested within the last T requests, so its hit
probability is ``1 - exp(-p_i T)``. T is the one number for which the cache holds, on average,
exactly C items: ``sum_i (1 - exp(-p_i T)) = C``. The hit rate is ``sum_i p_i (1 - exp(-p_i T))``.
(H. Che, Y. Tung, Z. Wang, "Hierarchical Web caching systems", IEEE JSAC 2002; Fricker, Robert
and Roberts, "A versatile and accurate approximation for LRU cache performance", 2012.)

It describes a warm cache in steady state; the first request of every item misses in real runs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _occupancy(p: npt.NDArray[np.float64], t: float) -> float:
    # -expm1(-x) is 1 - exp(-x) without cancellation for the tiny p_i * T of tail items.
    return float(-np.expm1(-p * t).sum())


def characteristic_time(probs: npt.NDArray[np.float64], cache_size: int) -> float:
    """Che's T (in requests) for a cache of ``cache_size`` items; ``inf`` if everything fits."""
    from scipy.optimize import brentq

    p = probs[probs > 0] / probs.sum()
    if cache_size >= len(p):
        return float("inf")
    if cache_size <= 0:
        return 0.0
    # Occupancy grows from 0 (T = 0) towards len(p): double the upper end until it brackets C.
    high = float(cache_size) / float(p.max())
    while _occupancy(p, high) < cache_size:
        high *= 2.0
    t = brentq(lambda x: _occupancy(p, x) - cache_size, 0.0, high, xtol=1e-9, rtol=1e-12)
    return float(t)


def che_hit_rate(probs: npt.NDArray[np.float64], cache_size: int) -> float:
    """Expected steady-state hit rate of an LRU cache of ``cache_size`` items.

    Example::

        che_hit_rate(zipf_weights(100_000, 1.0), 1_000)  # about 0.51
    """
    p = probs[probs > 0] / probs.sum()
    t = characteristic_time(p, cache_size)
    if t == float("inf"):
        return 1.0
    return float((p * -np.expm1(-p * t)).sum())
