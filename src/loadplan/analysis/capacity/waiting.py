"""A response time as the latency of a request that does not wait plus its wait: percentiles of
the sum.

The latency model (``queueing.py``) says how long a request waits for a server; what it cannot
say is what else a request spends: the network both ways, parsing, the client's own loop, and
the service itself. Those are read from the run: the lowest-load step's latency distribution,
where requests seldom wait, is the *no-wait latency* X. A response time is then X + W, W the
wait, independent of X: P(W > w) = C · exp(-θ w) for w >= 0 (C the probability of waiting, θ
the decay of the wait's exponential tail).

Why the sum of the two distributions, not the sum of their percentiles: the slow tail of X
(a scheduling hiccup, a slow read) and a long wait seldom hit the same request, so the P95 of
X + W is well under P95(X) + P95(W) wherever both spread. Adding percentiles counts the tail
twice, and the more the no-wait latency jitters (a busy machine) the more it overstates the
latency under load.

The percentile is exact for X's histogram (a distribution on its bucket values): between two
bucket values x_k and x_k+1, P(X + W > x) = P(X > x_k) + C · Σ_{i<=k} w_i exp(-θ (x - x_i)),
which is solved for x in closed form, so no bisection is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hdrh.histogram import HdrHistogram


@dataclass(frozen=True, slots=True)
class NoWaitLatency:
    """The latency of a request that does not wait: a distribution on bucket values.

    Attributes:
        values_ms: the bucket values, ms, increasing.
        weights: each value's share of the requests (they add up to 1).
    """

    values_ms: tuple[float, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, hist: HdrHistogram) -> NoWaitLatency:
        """From a latency histogram (µs); each bucket at its highest equivalent value, as
        hdrh reads percentiles."""
        values: list[float] = []
        counts: list[float] = []
        for item in hist.get_recorded_iterator():
            values.append(item.value_iterated_to / 1000)
            counts.append(float(item.count_at_value_iterated_to))
        if not values:
            msg = "a no-wait latency needs a histogram with values"
            raise ValueError(msg)
        total = sum(counts)
        return cls(tuple(values), tuple(c / total for c in counts))

    @classmethod
    def point(cls, ms: float) -> NoWaitLatency:
        """Every request takes ``ms`` when it does not wait."""
        return cls((ms,), (1.0,))

    def percentile_ms(self, q: float, waits: float = 0.0, decay_per_ms: float = math.inf) -> float:
        """The q-th percentile of X + W, with P(W > w) = ``waits`` · exp(-``decay_per_ms`` · w)
        (``waits`` 0: no wait, X's own percentile)."""
        x = np.asarray(self.values_ms)
        w = np.asarray(self.weights)
        tail = 1.0 - q / 100
        above = np.clip(1.0 - np.cumsum(w), 0.0, None)  # P(X > x_k)
        if waits <= 0.0 or math.isinf(decay_per_ms):
            at = above <= tail + 1e-12
            return float(x[np.argmax(at)]) if at.any() else float(x[-1])
        theta = decay_per_ms
        # log Σ_{i<=k} w_i exp(-θ (x_k - x_i)), shifted by x_0 to keep the exponents small.
        shifted = theta * (x - x[0])
        log_b = np.logaddexp.accumulate(np.log(w) + shifted) - shifted
        survive = above + waits * np.exp(log_b)  # P(X + W > x_k)
        candidates = [float(x[k]) for k in np.flatnonzero(survive <= tail)[:1]]
        room = above < tail
        if room.any():
            k = np.flatnonzero(room)
            solved = x[k] + (math.log(waits) + log_b[k] - np.log(tail - above[k])) / theta
            nxt = np.append(x[1:], np.inf)[k]
            inside = (solved >= x[k]) & (solved < nxt)
            candidates += [float(v) for v in solved[inside][:1]]
        return min(candidates)
