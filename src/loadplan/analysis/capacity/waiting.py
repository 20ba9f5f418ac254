"""A response time as the latency of a request that does not wait plus its wait: percentiles of
the sum.

The latency model (``queueing.py``) says how long a request waits for a server; what it cannot
say is what else a request spends: the network both ways, parsing, the client's own loop, and
the service itself. Those are read from the run: the lowest-load step's latency distribution,
where requests seldom wait, is the *no-wait latency* X. A response time is then X + W, W the
wait, independent of X, given by its survival function P(W > w) (``WaitSurvival``).

Why the sum of the two distributions, not the sum of their percentiles: the slow tail of X
(a scheduling hiccup, a slow read) and a long wait seldom hit the same request, so the P95 of
X + W is well under P95(X) + P95(W) wherever both spread. Adding percentiles counts the tail
twice, and the more the no-wait latency jitters (a busy machine) the more it overstates the
latency under load.

X is its histogram (a distribution on bucket values x_i with weights p_i), so
P(X + W > x) = Σ_i p_i P(W > x - x_i), with P(W > negative) = 1, a convolution: it is computed
on ``GRID`` points from X's lowest value to where every percentile asked must lie (an FFT), and
each percentile is where it falls to 1 - q, interpolated between two points. The grid's step is
a few thousandths of that span, finer than the model's error by far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram

FloatArray = npt.NDArray[np.float64]
WaitSurvival = Callable[[FloatArray], FloatArray]
"""P(W > t) at each t >= 0, ms: the wait's distribution."""
GRID = 4096
BRACKET_DOUBLINGS = 60


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

    def percentile_ms(self, q: float, wait: WaitSurvival | None = None) -> float:
        """The q-th percentile of X + W (``wait`` None: no wait, X's own percentile)."""
        return self.percentiles_ms((q,), wait)[0]

    def percentiles_ms(
        self, qs: Sequence[float], wait: WaitSurvival | None = None
    ) -> tuple[float, ...]:
        """The ``qs``-th percentiles of X + W, found together."""
        x = np.asarray(self.values_ms)
        w = np.asarray(self.weights)
        tails = 1.0 - np.asarray(qs, dtype=np.float64) / 100
        if wait is None:
            above = np.clip(1.0 - np.cumsum(w), 0.0, None)  # P(X > x_k)
            at = np.searchsorted(-above, -(tails + 1e-12))  # the first x_k with P(X > x_k) <= tail
            return tuple(float(x[min(int(k), x.size - 1)]) for k in at)

        # Every percentile asked is under a + b, P(X > a) and P(W > b) each at most half the
        # smallest tail: P(X + W > a + b) <= P(X > a) + P(W > b).
        half = float(tails.min()) / 2
        above = np.clip(1.0 - np.cumsum(w), 0.0, None)
        a = float(x[min(int(np.searchsorted(-above, -half)), x.size - 1)])
        b = _beyond(wait, half, max(float(x[0]), 1e-3))
        low = float(x[0])
        step = max(a + b - low, 1e-9) / (GRID - 1)
        # X on the grid: each value at the grid point at or below it; past the top it only adds
        # to P(X > t).
        index = np.floor((x - low) / step).astype(np.int64)
        inside = index < GRID
        mass = np.bincount(index[inside], weights=w[inside], minlength=GRID)
        survive = np.clip(1.0 - np.cumsum(mass), 0.0, None)  # P(X > t_k)
        waits = wait(step * np.arange(GRID, dtype=np.float64))
        # Linear, not circular: two GRID-point sequences fit in 2 GRID without wrapping.
        size = 2 * GRID
        convolved = np.fft.irfft(np.fft.rfft(mass, size) * np.fft.rfft(waits, size), size)
        survive = survive + np.clip(convolved[:GRID], 0.0, None)
        out = []
        for tail in tails:
            k = int(np.argmax(survive <= tail))
            if k == 0:
                out.append(low)
                continue
            before, after = survive[k - 1], survive[k]
            share = (before - tail) / (before - after) if before > after else 1.0
            out.append(low + step * (k - 1 + share))
        return tuple(out)


def _beyond(wait: WaitSurvival, level: float, start_ms: float) -> float:
    """A time (ms) the wait outlasts with probability at most ``level``."""
    t = start_ms
    for _ in range(BRACKET_DOUBLINGS):
        if float(wait(np.array([t]))[0]) <= level:
            return t
        t *= 2
    return t
