"""Latency against offered rate, predicted by a queueing model fitted to the measured steps.

The model is M/G/c: Poisson arrivals (what loadplan sends with ``arrivals = "poisson"``, and
what many independent users make), c servers each serving at rate μ, service times of any shape.
Its waiting time is taken from the Allen-Cunneen approximation: the M/M/c (Erlang C) waiting
time scaled by ``(ca² + cs²) / 2``, with ca² = 1 for Poisson arrivals and cs² the squared
coefficient of variation of the service time, estimated from the lowest-load step, where
requests seldom wait. The waiting time's tail is exponential, P(W > t) = C(c, a) · exp(-t (cμ -
λ) / v), and the response time is the lowest-load step's measured latency distribution (the
no-wait latency: service, network, client) plus that wait, its percentiles those of the sum of
the two distributions (``waiting.py``), not the sum of their percentiles: a jittery no-wait tail
and a long wait seldom meet in one request.

Why this model: it needs no knowledge of the target's insides, yet it has the two things that
shape a latency curve: a capacity (cμ) where waits grow without bound, and a number of servers
(c) that sets how sharply they grow near it (one server queues early and gradually; many queue
late and suddenly). μ starts from one over the lowest-load step's mean latency (requests seldom
wait there, so a request holds its server for about its whole latency) and may rise by up to a
quarter, for the part of that latency spent outside the server; c and μ are fitted by least
squares on the logarithm of the measured P50/P95/P99 of the steps given (for an out-of-sample
check, only those under 60 % of the max). Where the latency at low load is mostly not time on
the limiting resource (network, a fast cache), c comes out as an *effective* count rather than a
physical one, and the capacity it implies moves in steps of μ. It does not know about timeouts,
admission limits or a target that degrades under overload, so it describes the curve up to
saturation, not beyond it.

What it assumes, and where the steps cannot show it: the no-wait latency is the same at every
load (only the wait grows), and c is seen only through the requests that wait. On steps below
about half the capacity few requests wait (Erlang C), and when the no-wait latency jitters from
one step to the next by more than that (a shared machine, a busy client), the fit cannot tell c
from c + 1 or c + 2, nor μ from the part of the latency spent outside the server: the capacity
it implies is then a guess, and the out-of-sample check (``validation.py``) is what refuses it.

Why Allen-Cunneen rather than the exact M/D/c wait for a service that barely varies: the exact
form was tried (docs/capacity-model.md). With a target's own c and μ it describes the
known-capacity server no better than this one, and fitted on the low steps it errs towards more
capacity than the target has, the unsafe side for a sign-off, where this one errs towards less.

So the fit also says how well the steps pin it: besides the best (c, μ) it keeps every pair on
its grid whose squared log error is within SSE_min (1 + F(1, n - p, 0.95) / (n - p)), p = 2
parameters, n the percentiles fitted above the lowest step (whose own percentiles every fit
matches, since they are its no-wait latency, so they tell nothing). The max QPS of those fits
is the profile-likelihood 95 % interval of the model's max QPS, the one figure the check holds
against the truth. It treats each step's P50, P95 and P99 as independent errors, which they are
not (they come from the same requests), so it is narrower than the truth: when even it spans
capacities far apart, the steps did not find the capacity, whatever the best fit happens to
say. μ is held between one over the lowest step's mean latency (a server cannot be slower than
the whole latency says) and ``RATE_SLACK`` times that; when the interval reaches that top or
``MAX_SERVERS``, it is cut by the grid, not the data, and is open (``region_open``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from loadplan.analysis.capacity.steps import Step
from loadplan.analysis.capacity.waiting import NoWaitLatency

QUANTILES = (50.0, 95.0, 99.0)
MAX_SERVERS = 256
RATE_SLACK = 1.25
REGION_LEVEL = 0.95
"""The confidence of the interval the fits the steps cannot tell from the best make."""
PARAMETERS = 2
RATE_STEPS = 26


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a`` = λ/μ (a < c)."""
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    # Iterative Erlang B, then C: stable for large c where factorials overflow.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho + rho * b)


@dataclass(frozen=True, slots=True)
class QueueModel:
    """A fitted M/G/c latency model.

    Attributes:
        servers: c.
        rate: μ, requests per second per server.
        variability: (ca² + cs²) / 2, the Allen-Cunneen factor.
        base: the latency with no waiting (the lowest-load step's distribution).
        fitted_on: the steps it was fitted to (their sources).
        rms_log_error: root-mean-square error of log(predicted / measured) on them.
        alike: the (c, μ) pairs the steps cannot tell from this one (the fit's 95 % region,
            this one included; empty for a model not fitted by ``fit_queue``).
        region_open: ``alike`` reaches the grid's edge (``MAX_SERVERS``, or μ at
            ``RATE_SLACK`` times its base): the steps would admit fits past it.
    """

    servers: int
    rate: float
    variability: float
    base: NoWaitLatency
    fitted_on: tuple[str, ...]
    rms_log_error: float
    alike: tuple[tuple[int, float], ...] = ()
    region_open: bool = False

    @property
    def capacity_qps(self) -> float:
        return self.servers * self.rate

    def percentile_ms(self, qps: float, q: float) -> float | None:
        """Predicted q-th percentile at ``qps``; None at or past saturation."""
        headroom = self.capacity_qps - qps
        if headroom <= 0:
            return None
        waits = erlang_c(self.servers, qps / self.rate)
        return self.base.percentile_ms(q, waits, headroom / self.variability / 1000)

    def max_qps(self, bounds_ms: dict[float, float]) -> float:
        """The highest rate at which every percentile bound holds (bisection: latency rises
        with the rate)."""
        low, high = 0.0, self.capacity_qps

        def holds(qps: float) -> bool:
            for q, bound in bounds_ms.items():
                value = self.percentile_ms(qps, q)
                if value is None or value > bound:
                    return False
            return True

        if not holds(low):
            return 0.0
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if holds(middle) else (low, middle)
        return low

    def max_qps_range(self, bounds_ms: dict[float, float]) -> tuple[float, float]:
        """The lowest and highest max QPS under ``bounds_ms`` of the fits in ``alike`` (this
        model's own max when it has none). At a fixed c the max rises with μ, so each c's
        slowest and fastest μ in the region bound it."""
        by_servers: dict[int, list[float]] = {}
        for c, rate in self.alike:
            by_servers.setdefault(c, []).append(rate)
        maxes = [self.max_qps(bounds_ms)]
        for c, rates in by_servers.items():
            for rate in {min(rates), max(rates)}:
                twin = QueueModel(c, rate, self.variability, self.base, (), 0.0)
                maxes.append(twin.max_qps(bounds_ms))
        return min(maxes), max(maxes)

    def servers_range(self) -> tuple[int, int]:
        """The fewest and most servers among the fits the steps cannot tell apart."""
        counts = [self.servers, *(c for c, _ in self.alike)]
        return min(counts), max(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": "M/G/c, Allen-Cunneen waiting time (Erlang C scaled by (ca^2+cs^2)/2)",
            "servers": self.servers,
            "rate_per_server": round(self.rate, 3),
            "capacity_qps": round(self.capacity_qps, 1),
            "variability": round(self.variability, 3),
            "fitted_on": list(self.fitted_on),
            "rms_log_error": round(self.rms_log_error, 4),
        }


def fit_queue(steps: Sequence[Step]) -> QueueModel:
    """Fit c (and take μ) from ``steps`` (at least two with answers; the lowest is the base)."""
    ordered = sorted(steps, key=lambda s: s.planned_qps)
    figs = [(s, s.figures()) for s in ordered]
    figs = [(s, f) for s, f in figs if f.latency.get_total_count() > 0]
    if len(figs) < 2:
        msg = "a latency model needs at least two steps with answers"
        raise ValueError(msg)
    base_fig = figs[0][1]
    base = NoWaitLatency.of(base_fig.latency)
    mean = base_fig.latency.get_mean_value()
    std = base_fig.latency.get_stddev()
    cs2 = (std / mean) ** 2 if mean > 0 else 1.0
    variability = (1.0 + min(cs2, 4.0)) / 2
    points = [
        (f.offered_qps, q, float(f.percentile_ms(q) or 0.0))
        for _, f in figs
        for q in QUANTILES
        if (f.percentile_ms(q) or 0.0) > 0
    ]
    # At the lowest load requests seldom wait, so their mean latency is the service time: each
    # request holds a server that long. That fixes μ; the server count c is what the curve's
    # bend says (one server queues early and gradually, many late and suddenly).
    base_rate = 1000.0 / max(base_fig.mean_ms() or 1.0, 1e-3)

    def error(c: int, rate: float) -> float:
        model = QueueModel(c, rate, variability, base, (), 0.0)
        total = 0.0
        for qps, q, measured in points:
            predicted = model.percentile_ms(qps, q)
            if predicted is None:
                return 1e9
            total += math.log(predicted / measured) ** 2
        return total / len(points)

    top = max(f.offered_qps for _, f in figs)
    # Part of the low-load latency is not service (the network, the client): the service rate
    # may be up to RATE_SLACK times higher than the mean latency says, and is fitted within it.
    rates = base_rate * np.linspace(1.0, RATE_SLACK, RATE_STEPS)
    fits = [
        (error(c, float(r)), c, float(r)) for c in _server_counts() for r in rates if c * r > top
    ]
    if not fits:
        msg = "the steps ran above what their low-load latency allows even 256 servers"
        raise ValueError(msg)
    err, c, rate = min(fits)
    # The lowest step's own percentiles are the no-wait latency: every fit matches them.
    informative = len(points) - sum(1 for q in QUANTILES if (base_fig.percentile_ms(q) or 0) > 0)
    factor = _region_factor(informative)
    threshold = math.inf if math.isinf(factor) else err * factor
    alike = tuple((k, r) for e, k, r in fits if e <= threshold)
    fastest = float(rates[-1])
    region_open = any(k >= MAX_SERVERS or r >= fastest for k, r in alike)
    sources = tuple(s.source for s, _ in figs)
    return QueueModel(c, rate, variability, base, sources, math.sqrt(err), alike, region_open)


def _region_factor(n: int) -> float:
    """How many times the best fit's squared error a fit may have and stay inside the 95 %
    profile interval of one figure (the max QPS), with ``n`` informative points; with no
    residual degrees of freedom, any fit is as good (infinite)."""
    from scipy.special import fdtri  # lighter to import than scipy.stats

    free = n - PARAMETERS
    if free <= 0:
        return math.inf
    return 1.0 + float(fdtri(1, free, REGION_LEVEL)) / free


def _server_counts() -> list[int]:
    return sorted({*range(1, 33), *(int(c) for c in np.geomspace(33, MAX_SERVERS, 24))})
