"""The Universal Scalability Law fitted to throughput measured at several loads.

Gunther's USL says throughput at load N (users, clients, processes) is::

    X(N) = lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1))

lambda is the throughput of one unit of load, sigma the share of work that queues for a shared
resource (contention: throughput levels off toward lambda/sigma) and kappa the cost of keeping
units coherent with each other (crosstalk: past N* = sqrt((1-sigma)/kappa) more load gives *less*
throughput). A capacity plan wants N* and the peak X(N*), and how sure it can be of them.

Uncertainty. Standard errors come from the covariance of the fitted parameters (the full
Jacobian, df = n - p, as R nls and scipy's curve_fit). Intervals are, by default, the textbook
two-sided ones: estimate -/+ se * t(0.975, n - p). ``ci="usl_confint"`` gives R usl's instead
(estimate -/+ se * qt(0.95, n - 1): a one-sided quantile with n - 1 df, narrower; a "95 %" usl
interval covers about 90 %), to compare with its output. Intervals of the derived values (N*,
X(N*), lambda/sigma) use the delta method (the gradient of each through the covariance), with the
same quantile; they are symmetric and clipped at 0. For X(N*) the gradient is the model's own
Jacobian at N*, since dX/dN = 0 there.

kappa ~ 0. When kappa's interval reaches 0, or its term kappa*N*(N-1) is below a millionth at the
largest tested load, the data show no retrograde region: throughput did not turn down where it was
measured, and N* = sqrt((1-sigma)/kappa) would be a huge number made of noise. Then ``n_star`` and
``x_max`` are None, never a huge N*; the plan should read the ceiling lambda/sigma instead, or
measure at higher load. sigma ~ 0 (the same rule) likewise makes ``x_roof`` and ``n_opt`` None:
no contention was measured, so there is no roof to report.

Example::

    fit = fit_usl([1, 2, 4, 8, 16, 32], [100, 195, 370, 640, 900, 980])
    fit.sigma.value, fit.n_star  # contention, and N* (None when kappa ~ 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from loadplan.analysis.capacity.usl_estimators import (
    METHODS,
    Array,
    Method,
    SeConvention,
    estimate,
    usl_jacobian,
    usl_throughput,
)
from loadplan.errors import CapacityError

__all__ = [
    "MIN_LEVELS",
    "CiConvention",
    "Method",
    "ParamEstimate",
    "SeConvention",
    "UslFit",
    "check_levels",
    "fit_usl",
    "usl_model",
]

MIN_LEVELS = 6
"""Fewer distinct loads leave three parameters at most 2 residual degrees of freedom: the t
quantile passes 4 and the intervals grow too wide to plan with (on the first 5 raytracer points,
kappa's interval already reaches 0, so no N* at all). Refuse, and say how many levels to add."""

CiConvention = Literal["two_sided_t", "usl_confint"]
CI_LEVEL = 0.95
# kappa*N*(N-1) below this at the largest load changes X there by less than a part per million.
_NEGLIGIBLE_TERM = 1e-6


@dataclass(frozen=True, slots=True)
class ParamEstimate:
    """One estimated quantity with its uncertainty.

    Attributes:
        value: the estimate.
        se: its standard error; None when the method does not estimate one (lambda measured
            as X(1) by the normalised methods, or left out by the ``usl1`` convention).
        ci: its 95 % interval (convention in ``UslFit.ci_convention``); None without ``se``.
    """

    value: float
    se: float | None
    ci: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class UslFit:
    """A USL fit and what it says about capacity.

    Attributes:
        method: the estimator (see ``usl_estimators``).
        sigma, kappa, lambda_: the parameters (lambda_ is lambda; X(1) for normalised methods).
        n_star: load at peak throughput, sqrt((1-sigma)/kappa); None when kappa ~ 0.
        x_max: peak throughput X(N*); None when kappa ~ 0.
        x_roof: the contention ceiling lambda/sigma; None when sigma ~ 0.
        n_opt: 1/sigma (usl::optimal.scalability); None when sigma ~ 0.
        n_star_floor, x_max_floor: floor(N*) and X(floor(N*)), what usl4j reports.
        kappa_negligible, sigma_negligible: the "~ 0" verdicts above.
        n_points, n_levels: rows fitted and distinct loads among them.
        n_max: the largest tested load (N* beyond it is an extrapolation).
        resid_se: sqrt(SSE / resid_df), on the X scale.
        resid_df: residual degrees of freedom (n - fitted parameters).
        r2: 1 - SSE/SST on X.
        se_convention, ci_convention: how se and intervals were computed.
    """

    method: Method
    sigma: ParamEstimate
    kappa: ParamEstimate
    lambda_: ParamEstimate
    n_star: ParamEstimate | None
    x_max: ParamEstimate | None
    x_roof: ParamEstimate | None
    n_opt: float | None
    n_star_floor: int | None
    x_max_floor: float | None
    kappa_negligible: bool
    sigma_negligible: bool
    n_points: int
    n_levels: int
    n_max: float
    resid_se: float
    resid_df: int
    r2: float
    se_convention: SeConvention
    ci_convention: CiConvention

    def throughput(self, n: float) -> float:
        """The fitted X(n)."""
        load = np.array([float(n)])
        sigma, kappa, lam = self.sigma.value, self.kappa.value, self.lambda_.value
        return float(usl_throughput(load, sigma, kappa, lam)[0])

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: each quantity as ``name``, ``name_se``, ``name_ci`` ([lo, hi])."""
        out: dict[str, object] = {"method": self.method}
        for name, item in (
            ("sigma", self.sigma),
            ("kappa", self.kappa),
            ("lambda", self.lambda_),
            ("n_star", self.n_star),
            ("x_max", self.x_max),
            ("x_roof", self.x_roof),
        ):
            out[name] = None if item is None else item.value
            out[f"{name}_se"] = None if item is None else item.se
            out[f"{name}_ci"] = None if item is None or item.ci is None else list(item.ci)
        out.update(
            n_opt=self.n_opt,
            n_star_floor=self.n_star_floor,
            x_max_floor=self.x_max_floor,
            n_star_extrapolated=None
            if self.n_star is None
            else bool(self.n_star.value > self.n_max),
            kappa_negligible=self.kappa_negligible,
            sigma_negligible=self.sigma_negligible,
            n_points=self.n_points,
            n_levels=self.n_levels,
            n_max=self.n_max,
            resid_se=self.resid_se,
            resid_df=self.resid_df,
            r2=self.r2,
            se_convention=self.se_convention,
            ci_convention=self.ci_convention,
            ci_level=CI_LEVEL,
            derived_interval="delta method",
        )
        return out


def usl_model(n: npt.ArrayLike, sigma: float, kappa: float, lam: float) -> Array:
    """X(N) = lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1)) for each N."""
    return usl_throughput(np.asarray(n, dtype=np.float64), sigma, kappa, lam)


def check_levels(n: npt.ArrayLike, min_levels: int = MIN_LEVELS) -> int:
    """The number of distinct loads in ``n``; CapacityError if below ``min_levels``."""
    levels = int(np.unique(np.asarray(n, dtype=np.float64)).size)
    if levels < min_levels:
        msg = (
            f"{levels} load levels; the USL fit needs at least {min_levels} "
            f"(add {min_levels - levels} more)"
        )
        raise CapacityError(msg)
    return levels


def fit_usl(
    n: npt.ArrayLike,
    x: npt.ArrayLike,
    method: Method = "usl3_bounded",
    *,
    se: SeConvention = "full",
    ci: CiConvention = "two_sided_t",
    min_levels: int = MIN_LEVELS,
) -> UslFit:
    """Fit the USL to loads ``n`` and throughputs ``x`` (repeated loads are fine).

    ``se``, ``ci`` and a ``min_levels`` below 6 exist to reproduce published fits made with
    other conventions or on fewer points; a capacity plan keeps the defaults.

    Raises:
        CapacityError: fewer than ``min_levels`` distinct loads, a value that is not finite and
            > 0, an unknown method or convention, or data the fit cannot resolve.
    """
    loads, throughputs = _validated(n, x)
    if method not in METHODS:
        msg = f"method = {method!r}: use one of {', '.join(METHODS)}"
        raise CapacityError(msg)
    if ci not in ("two_sided_t", "usl_confint"):
        msg = f"ci = {ci!r}: use two_sided_t or usl_confint"
        raise CapacityError(msg)
    # Three parameters and a residual variance need at least four distinct loads.
    levels = check_levels(loads, max(min_levels, 4))
    fitted = estimate(loads, throughputs, method, se)
    q = _quantile(ci, fitted.df, loads.size)
    params = np.array([fitted.sigma, fitted.kappa, fitted.lam])
    ses = np.sqrt(np.diag(fitted.cov))
    bounded = method == "usl3_bounded"
    n_max = float(loads.max())

    def param(i: int, has_se: bool) -> ParamEstimate:
        if not has_se:
            return ParamEstimate(float(params[i]), None, None)
        lo, hi = params[i] - q * ses[i], params[i] + q * ses[i]
        if bounded:  # the fit could not leave [0, 1] (lambda: [0, inf)), nor can its interval
            lo, hi = max(lo, 0.0), hi if i == 2 else min(hi, 1.0)
        return ParamEstimate(float(params[i]), float(ses[i]), (float(lo), float(hi)))

    def derived(value: float, gradient: Array) -> ParamEstimate:
        spread = float(np.sqrt(gradient @ fitted.cov @ gradient))
        return ParamEstimate(value, spread, (max(value - q * spread, 0.0), value + q * spread))

    sigma, kappa, lam = fitted.sigma, fitted.kappa, fitted.lam
    kappa_negligible = _negligible(kappa, ses[1], q, n_max * (n_max - 1.0))
    sigma_negligible = _negligible(sigma, ses[0], q, n_max - 1.0)
    n_star = x_max = x_roof = None
    n_opt = x_max_floor = None
    n_star_floor = None
    if not kappa_negligible and sigma < 1.0:
        peak = math.sqrt((1.0 - sigma) / kappa)
        n_star = derived(peak, np.array([-1.0 / (2 * peak * kappa), -peak / (2 * kappa), 0.0]))
        at_peak = usl_model([peak], sigma, kappa, lam)
        x_max = derived(float(at_peak[0]), usl_jacobian(np.array([peak]), sigma, kappa, lam)[0])
        n_star_floor = math.floor(peak)
        x_max_floor = float(usl_model([n_star_floor], sigma, kappa, lam)[0])
    if not sigma_negligible:
        x_roof = derived(lam / sigma, np.array([-lam / sigma**2, 0.0, 1.0 / sigma]))
        n_opt = 1.0 / sigma
    resid_df = fitted.df
    spread_x = float(np.sum((throughputs - throughputs.mean()) ** 2))
    return UslFit(
        method=method,
        sigma=param(0, True),
        kappa=param(1, True),
        lambda_=param(2, fitted.lambda_has_se),
        n_star=n_star,
        x_max=x_max,
        x_roof=x_roof,
        n_opt=n_opt,
        n_star_floor=n_star_floor,
        x_max_floor=x_max_floor,
        kappa_negligible=kappa_negligible,
        sigma_negligible=sigma_negligible,
        n_points=int(loads.size),
        n_levels=levels,
        n_max=n_max,
        resid_se=math.sqrt(fitted.sse / resid_df),
        resid_df=resid_df,
        r2=1.0 - fitted.sse / spread_x if spread_x > 0 else math.nan,
        se_convention=se,
        ci_convention=ci,
    )


def _validated(n: npt.ArrayLike, x: npt.ArrayLike) -> tuple[Array, Array]:
    try:
        loads = np.asarray(n, dtype=np.float64)
        throughputs = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"N and X must be numbers: {exc}"
        raise CapacityError(msg) from None
    if loads.ndim != 1 or throughputs.ndim != 1 or loads.size != throughputs.size:
        msg = f"N and X must be two lists of equal length (got {loads.shape}, {throughputs.shape})"
        raise CapacityError(msg)
    for name, values, what in (("N", loads, "load"), ("X", throughputs, "throughput")):
        bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
        if bad.size:
            i = int(bad[0])
            msg = f"{name}[{i}] = {float(values[i])!r}: each {what} must be a finite number > 0"
            raise CapacityError(msg)
    return loads, throughputs


def _quantile(ci: CiConvention, df: int, n_points: int) -> float:
    from scipy.stats import t

    if ci == "usl_confint":
        return float(t.ppf(CI_LEVEL, n_points - 1))
    return float(t.ppf(0.5 + CI_LEVEL / 2, df))


def _negligible(value: float, se: float, q: float, scale: float) -> bool:
    """~ 0: at most 0, within its interval of 0, or a term too small to matter at any tested load.

    ``scale`` is what the parameter multiplies at the largest load ((N-1) for sigma,
    N*(N-1) for kappa), so the last test asks whether the term changes X by a part per million.
    """
    return bool(value <= 0.0 or value - q * se <= 0.0 or value * scale < _NEGLIGIBLE_TERM)
