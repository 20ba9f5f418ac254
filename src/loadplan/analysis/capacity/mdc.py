"""The waiting time of the M/D/c queue, exactly: Poisson arrivals, c servers, every service D.

Why exact rather than an approximation: the model's server count is read from how few requests
wait at low load, and there approximations scaled from M/M/c (Allen-Cunneen) put the wrong
shape on the wait: on a target whose service time barely varies they favour fewer, faster
servers than it has, and the capacity they imply is off by the difference. M/D/c is the other
end of that scale (service times that do not vary), and is computed here without approximation,
so that ``queueing.py`` can interpolate between the two exact ends.

How. Looked at every D seconds, the number of requests present, N, moves as
N' = max(N - c, 0) + A, A ~ Poisson(a), a = λD: every request in service at the start of a
period leaves within it, and none that starts inside it does. Its stationary distribution has
the generating function (Bailey's bulk-service queue)

    P(z) = (c - a)(z - 1) e^{a(z - 1)} / (z^c - e^{a(z - 1)}) · Π_{k=1}^{c-1} (z - z_k) / (1 - z_k),

z_k the roots of z^c = e^{a(z-1)} inside the unit circle other than 1 (each the fixed point of
z = ω^k e^{(a/c)(z - 1)}, ω = e^{2πi/c}, found by Newton's method), inverted numerically by an
FFT on a circle just outside the unit circle, inside the pole z_0 > 1: P is analytic there. A
request arriving at t waits at most x, (k - 1)D <= x < kD, exactly when fewer than c of those
ahead of it are left at t + x; following the queue from t - y, y = kD - x, that is

    P(W <= x) = Σ_{j=0}^{kc-1} e^{-λy} (λy)^j / j! · P(N <= (k + 1)c - 1 - j),

which ``tests/analysis/capacity/test_mdc.py`` checks against a simulated queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq
from scipy.special import gammaln

FloatArray = npt.NDArray[np.float64]

MAX_UTILISATION = 0.99
"""Past this utilisation the wait is not computed: its tail runs to hundreds of service times,
which no plan should sit on, and the exact distribution would need that many periods."""
TAIL = 1e-9
"""The survival probability at which the tabulated wait stops (the rest is counted as 0)."""
POINTS_PER_PERIOD = 32
PRODUCT_CHUNK = 32


@dataclass(frozen=True, slots=True)
class MdcWait:
    """The waiting time of one M/D/c queue, tabulated in units of the service time D.

    Attributes:
        servers: c.
        load: a = λD, the offered load in servers (a < c).
        at: the table's times, in service times, increasing from 0.
        survival: P(W > at), the same length, decreasing.
    """

    servers: int
    load: float
    at: tuple[float, ...]
    survival: tuple[float, ...]

    @classmethod
    def of(cls, servers: int, load: float) -> MdcWait:
        """The wait of c = ``servers`` servers offered ``load`` = λD (0 <= load, utilisation at
        most ``MAX_UTILISATION``)."""
        if servers < 1:
            msg = f"an M/D/c queue needs at least one server, got {servers}"
            raise ValueError(msg)
        if not 0 <= load <= MAX_UTILISATION * servers:
            msg = f"load {load} out of range for {servers} server(s) (at most {MAX_UTILISATION})"
            raise ValueError(msg)
        if load == 0:
            return cls(servers, load, (0.0,), (0.0,))
        below = np.cumsum(number_present(servers, load))
        at, survival = _tabulate(servers, load, below)
        return cls(servers, load, tuple(at.tolist()), tuple(survival.tolist()))

    @property
    def waits(self) -> float:
        """P(W > 0): the share of requests that wait."""
        return self.survival[0]

    def survival_at(self, service_times: FloatArray) -> FloatArray:
        """P(W > t) at each t (in service times; negative t: 1, a wait is never negative)."""
        t = np.asarray(service_times, dtype=np.float64)
        inside = np.interp(t, self.at, self.survival, right=0.0)
        return np.where(t < 0, 1.0, inside)


def number_present(servers: int, load: float) -> FloatArray:
    """P(N = n), n = 0, 1, ...: the number of requests present (waiting or served) at a random
    time, up to where the rest is below 1e-13."""
    c, a = servers, load
    pole = _pole(c, a)
    # The tail decays as pole^-n: keep n until it is negligible. P is sampled on a circle just
    # outside the unit circle, clear of the roots inside it and of the pole beyond: not far out,
    # since |P| grows there as e^{a(r - 1)} and the FFT's rounding with it.
    radius = 1.0 + min((pole - 1.0) / 4, 2.0 / a)
    needed = c + math.ceil(30 / math.log(pole)) + 1
    aliasing = math.ceil(30 / math.log(pole / radius))
    size = 1 << max(needed, aliasing, 64).bit_length()
    # P has real coefficients, so P(conj z) = conj P(z): half the circle is enough (hfft).
    z = radius * np.exp(2j * np.pi * np.arange(size // 2 + 1) / size)
    gf = _generating_function(c, a, _roots(c, a), z)
    coefficients = np.fft.hfft(gf, size) / size / radius ** np.arange(size)
    probabilities = np.clip(coefficients[:needed], 0.0, None)
    total = probabilities.sum()
    return np.asarray(probabilities / total, dtype=np.float64)


def _pole(c: int, a: float) -> float:
    """The root z_0 > 1 of z^c = e^{a(z - 1)}: the rate (z_0^-n) at which long queues thin."""
    # c ln z = a (z - 1): the left side is above the right just past 1 (c > a) and below far on.
    high = 2.0
    while c * math.log(high) > a * (high - 1):
        high *= 2
    return float(brentq(lambda z: c * math.log(z) - a * (z - 1), 1.0 + 1e-12, high, xtol=1e-14))


def _roots(c: int, a: float) -> npt.NDArray[np.complex128]:
    """The roots z_k, k = 1..c-1, of z^c = e^{a(z - 1)} inside the unit circle."""
    if c == 1:
        return np.empty(0, dtype=np.complex128)
    rho = a / c
    turns = np.exp(2j * np.pi * np.arange(1, c) / c)
    z = turns * np.exp(rho * (turns - 1))
    for _ in range(100):
        image = turns * np.exp(rho * (z - 1))
        step = (z - image) / (1 - rho * image)
        z = z - step
        if float(np.max(np.abs(step))) < 1e-15:
            break
    return np.asarray(z, dtype=np.complex128)


def _generating_function(
    c: int, a: float, roots: npt.NDArray[np.complex128], z: npt.NDArray[np.complex128]
) -> npt.NDArray[np.complex128]:
    arrivals = np.exp(a * (z - 1))
    head = (c - a) * (z - 1) * arrivals / (z**c - arrivals)
    if roots.size == 0:
        return np.asarray(head, dtype=np.complex128)
    # A product of up to c - 1 factors, multiplied in chunks small enough not to overflow and
    # summed as the chunks' logarithms (a logarithm per factor would cost ten times as much).
    factors = (z[:, None] - roots[None, :]) / (1 - roots)[None, :]
    logs = np.zeros(z.shape, dtype=np.complex128)
    for start in range(0, roots.size, PRODUCT_CHUNK):
        logs += np.log(np.prod(factors[:, start : start + PRODUCT_CHUNK], axis=1))
    return np.asarray(head * np.exp(logs), dtype=np.complex128)


def _tabulate(c: int, a: float, below: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P(W > t) on POINTS_PER_PERIOD points per service time, until it is under ``TAIL``."""
    last = below.size - 1
    # Poisson terms past mean + 12 sd (and 30) are below 1e-20: the sum stops there.
    terms = math.ceil(a + 12 * math.sqrt(a) + 30)
    times: list[FloatArray] = []
    survivals: list[FloatArray] = []
    period = 1
    while True:
        y = np.linspace(1.0, 0.0, POINTS_PER_PERIOD, endpoint=False)  # t = period - y
        j = np.arange(min(period * c, terms))
        index = np.minimum((period + 1) * c - 1 - j, last)
        mean = a * y[:, None]
        with np.errstate(divide="ignore"):
            pmf = np.exp(j[None, :] * np.log(mean) - mean - gammaln(j + 1)[None, :])
        done = (pmf * below[index][None, :]).sum(axis=1)
        times.append(period - y)
        survivals.append(np.clip(1.0 - done, 0.0, 1.0))
        if survivals[-1][-1] < TAIL:
            break
        period += 1
    at = np.concatenate(times)
    survival = np.minimum.accumulate(np.concatenate(survivals))
    return at, survival
