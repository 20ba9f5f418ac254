"""Latency against offered rate, predicted by a queueing model fitted to the measured steps.

The model is M/G/c: Poisson arrivals (what loadplan sends with ``arrivals = "poisson"``, and
what many independent users make), c servers each serving at rate μ, service times of any shape.
Its waiting time is exact at the two ends of the service time's variability and mixed between
them: with cs² the squared coefficient of variation of the service time (read from the
lowest-load step, where requests seldom wait), P(W > t) = (1 - cs²) P(W_D > t) + cs² P(W_M > t),
W_D the exact M/D/c wait (``mdc.py``: every service the same) and W_M the exact M/M/c wait
(Erlang C, exponential tail); past cs² = 1, the M/M/c wait stretched by (1 + cs²) / 2
(Allen-Cunneen). The response time is the lowest-load step's measured latency distribution (the
no-wait latency: service, network, client) plus that wait, its percentiles those of the sum of
the two distributions (``waiting.py``), not the sum of their percentiles: a jittery no-wait tail
and a long wait seldom meet in one request.

Why exact ends rather than Allen-Cunneen alone (the M/M/c wait scaled by (1 + cs²) / 2, which
this model used before): on a target whose service barely varies, the scaled exponential wait
has the wrong shape where the fit reads c (few, short waits at low load), and the fits it made
of the known-capacity server (8 x 20 ms) chose 7 servers in 7 of 12 real staircases; the true
8 x 50 req/s with the exact M/D/c wait is within the check's limits on those runs
(docs/capacity-model.md gives the figures).

Why this model: it needs no knowledge of the target's insides, yet it has the two things that
shape a latency curve: a capacity (cμ) where waits grow without bound, and a number of servers
(c) that sets how sharply they grow near it (one server queues early and gradually; many queue
late and suddenly). μ starts from one over the lowest-load step's mean latency (requests seldom
wait there, so a request holds its server for about its whole latency) and may rise by up to a
quarter, for the part of that latency spent outside the server; c and μ are fitted by least
squares on the logarithm of the measured percentiles ``QUANTILES`` of the steps given (for an
out-of-sample check, only those under 60 % of the max). Where the latency at low load is mostly
not time on the limiting resource (network, a fast cache), c comes out as an *effective* count
rather than a physical one, and the capacity it implies moves in steps of μ. It does not know
about timeouts, admission limits or a target that degrades under overload, so it describes the
curve up to saturation, not beyond it.

What it assumes, and where the steps cannot show it: the no-wait latency is the same at every
load (only the wait grows), and c is seen only through the requests that wait. On steps below
about half the capacity few requests wait (Erlang C), and when the no-wait latency jitters from
one step to the next by more than that (a shared machine, a busy client), the fit cannot tell c
from c + 1 or c + 2, nor μ from the part of the latency spent outside the server: the capacity
it implies is then a guess, and the out-of-sample check (``validation.py``) is what refuses it.

So the fit also says how well the steps pin it: besides the best (c, μ) it keeps every pair on
its grid whose squared log error is within SSE_min (1 + F(1, n - p, 0.95) / (n - p)), p = 2
parameters, n the independent figures of the steps above the lowest (whose own percentiles
every fit matches, since they are its no-wait latency, so they tell nothing). The max QPS of
those fits is the profile-likelihood 95 % interval of the model's max QPS, the one figure the
check holds against the truth. A step's percentiles come from the same requests, so n counts
``FIGURES_PER_STEP`` per step however many percentiles the fit reads; even so it treats those
as independent, so it is narrower than the truth: when even it spans
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
from scipy.optimize import brentq

from loadplan.analysis.capacity.mdc import MAX_UTILISATION, MdcWait
from loadplan.analysis.capacity.steps import Step
from loadplan.analysis.capacity.waiting import FloatArray, NoWaitLatency, WaitSurvival

QUANTILES = (50.0, 75.0, 90.0, 95.0, 97.5, 99.0)
"""The percentiles a step is fitted on: tail shares halving from 1/2 to 1/100, so that the fit
sees the shape of the wait where requests begin to wait, not three points of it."""
FIGURES_PER_STEP = 3
"""A step's independent figures, as the fit's interval counts them (its body, shoulder and
tail): reading more percentiles of the same requests shapes the fit, it does not narrow the
interval."""
MAX_SERVERS = 256
RATE_SLACK = 1.25
REGION_LEVEL = 0.95
"""The confidence of the interval the fits the steps cannot tell from the best make."""
PARAMETERS = 2
RATE_STEPS = 26
MAX_CV2 = 4.0
"""The service time's cs² is read from the lowest step and held at most this: a few slow
requests there (a hiccup, not the service) would otherwise stretch every wait."""
NEGLIGIBLE_WAIT = 1e-12
"""Erlang C below this: no request is taken to wait (no percentile a plan reads can move)."""


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
        service_cv2: cs², the squared coefficient of variation of the service time: 0 waits
            as M/D/c, 1 as M/M/c, between them a mix of the two (``_wait``).
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
    service_cv2: float
    base: NoWaitLatency
    fitted_on: tuple[str, ...]
    rms_log_error: float
    alike: tuple[tuple[int, float], ...] = ()
    region_open: bool = False

    @property
    def capacity_qps(self) -> float:
        return self.servers * self.rate

    def percentile_ms(self, qps: float, q: float) -> float | None:
        """Predicted q-th percentile at ``qps``; None at or past saturation (a utilisation of
        ``MAX_UTILISATION`` or more)."""
        values = self.percentiles_ms(qps, (q,))
        return None if values is None else values[0]

    def percentiles_ms(self, qps: float, qs: Sequence[float]) -> tuple[float, ...] | None:
        """Predicted percentiles ``qs`` at ``qps``, found together (one wait for all)."""
        if qps >= MAX_UTILISATION * self.capacity_qps:
            return None
        return self.base.percentiles_ms(qs, self._wait(qps))

    def _wait(self, qps: float) -> WaitSurvival | None:
        """P(W > t ms) at ``qps``: exact M/D/c and M/M/c mixed in proportion cs² (1 - cs² of
        the first), exact at both ends; past cs² = 1 the M/M/c wait stretched by (1 + cs²) / 2
        (Allen-Cunneen). None when under one request in 10^12 would wait."""
        c, load = self.servers, qps / self.rate
        waits = erlang_c(c, load)
        if waits < NEGLIGIBLE_WAIT:
            return None
        cv2 = self.service_cv2
        decay = (self.capacity_qps - qps) / 1000 / max(1.0, (1 + cv2) / 2)  # per ms
        if cv2 >= 1.0:
            return lambda t: np.asarray(waits * np.exp(-decay * t), dtype=np.float64)
        service_ms = 1000.0 / self.rate
        fixed = MdcWait.of(c, load)

        def survival(t: FloatArray) -> FloatArray:
            varied = waits * np.exp(-decay * t)
            return np.asarray(
                cv2 * varied + (1 - cv2) * fixed.survival_at(t / service_ms), dtype=np.float64
            )

        return survival

    def max_qps(self, bounds_ms: dict[float, float]) -> float:
        """The highest rate at which every percentile bound holds: where the worst bound's
        log(predicted / bound) crosses 0 (Brent's method: it rises with the rate)."""
        top = MAX_UTILISATION * self.capacity_qps * (1 - 1e-9)
        qs = tuple(bounds_ms)

        def excess(qps: float) -> float:
            values = self.percentiles_ms(qps, qs)
            if values is None:
                return math.inf
            return max(math.log(v / bounds_ms[q]) for q, v in zip(qs, values, strict=True))

        if excess(0.0) > 0:
            return 0.0
        if excess(top) <= 0:
            return top
        return float(brentq(excess, 0.0, top, xtol=1e-6 * top, rtol=1e-9))

    def max_qps_range(self, bounds_ms: dict[float, float]) -> tuple[float, float]:
        """The lowest and highest max QPS under ``bounds_ms`` of the fits in ``alike`` (this
        model's own max when it has none). At a fixed c the max rises with μ, so each c's
        slowest and fastest μ in the region bound it."""
        by_servers: dict[int, list[float]] = {}
        for c, rate in self.alike:
            by_servers.setdefault(c, []).append(rate)
        own = self.max_qps(bounds_ms)
        twins = [
            QueueModel(c, rate, self.service_cv2, self.base, (), 0.0)
            for c, rates in by_servers.items()
            for rate in {min(rates), max(rates)}
        ]
        lowest = min([own, *(twin.max_qps(bounds_ms) for twin in twins)])
        # No fit's max exceeds its own MAX_UTILISATION x capacity: the largest capacities first,
        # and none is needed once that is under the highest max found.
        highest = own
        for twin in sorted(twins, key=lambda t: -t.capacity_qps):
            if MAX_UTILISATION * twin.capacity_qps <= highest:
                break
            highest = max(highest, twin.max_qps(bounds_ms))
        return lowest, highest

    def servers_range(self) -> tuple[int, int]:
        """The fewest and most servers among the fits the steps cannot tell apart."""
        counts = [self.servers, *(c for c, _ in self.alike)]
        return min(counts), max(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": (
                "M/G/c: exact M/D/c and M/M/c waiting times mixed by the service time's cs^2"
            ),
            "servers": self.servers,
            "rate_per_server": round(self.rate, 3),
            "capacity_qps": round(self.capacity_qps, 1),
            "service_cv2": round(self.service_cv2, 4),
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
    cs2 = min((std / mean) ** 2 if mean > 0 else 1.0, MAX_CV2)
    # Each step's rate and its measured percentiles (those it has).
    measured = [
        (f.offered_qps, [(q, v) for q in QUANTILES if (v := f.percentile_ms(q) or 0.0) > 0])
        for _, f in figs
    ]
    count = sum(len(values) for _, values in measured)
    # At the lowest load requests seldom wait, so their mean latency is the service time: each
    # request holds a server that long. That fixes μ; the server count c is what the curve's
    # bend says (one server queues early and gradually, many late and suddenly).
    base_rate = 1000.0 / max(base_fig.mean_ms() or 1.0, 1e-3)

    def error(c: int, rate: float) -> float:
        model = QueueModel(c, rate, cs2, base, (), 0.0)
        total = 0.0
        for qps, values in measured:
            predicted = model.percentiles_ms(qps, [q for q, _ in values])
            if predicted is None:
                return 1e9
            total += sum(math.log(p / m) ** 2 for p, (_, m) in zip(predicted, values, strict=True))
        return total / count

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
    informative = FIGURES_PER_STEP * sum(1 for _, values in measured[1:] if values)
    factor = _region_factor(informative)
    threshold = math.inf if math.isinf(factor) else err * factor
    alike = tuple((k, r) for e, k, r in fits if e <= threshold)
    fastest = float(rates[-1])
    region_open = any(k >= MAX_SERVERS or r >= fastest for k, r in alike)
    sources = tuple(s.source for s, _ in figs)
    return QueueModel(c, rate, cs2, base, sources, math.sqrt(err), alike, region_open)


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
