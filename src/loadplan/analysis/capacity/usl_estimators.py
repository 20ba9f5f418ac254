"""The four published ways of estimating the USL's sigma, kappa and lambda, and their covariance.

``usl.fit_usl`` picks one of these and derives everything else from its estimate. They are kept
apart because they are different estimators, not different spellings of one: each published
USL result was made with one of them, and reproducing it needs the same one.

- ``usl3_bounded``: least squares on X over (sigma, kappa, lambda) with 0 <= sigma, kappa <= 1 and
  lambda >= 0, as R usl >= 2.0 (nlxb / nls "port"). The default: an unconstrained fit can give a
  negative kappa, which describes no machine.
- ``usl3``: the same without bounds, Levenberg-Marquardt, as usl4j and codahale/usl.
- ``usl2_normalized``: least squares on C = X / X(1) over (sigma, kappa), Gunther's original form;
  lambda is the measured X(1), not fitted.
- ``gcap_quadratic``: Guerrilla Capacity Planning ch. 5: y = N/C - 1 against x = N - 1 is the
  parabola y = kappa*x^2 + (sigma + kappa)*x, fitted by linear least squares (R usl <= 1.8).

Both nonlinear fits start from the best point of a coarse (sigma, kappa) grid, where lambda has a
closed form (for fixed sigma and kappa the model is linear in lambda), so the local optimiser
starts in the right valley whatever the units of X.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from loadplan.errors import CapacityError

Method = Literal["usl3_bounded", "usl3", "usl2_normalized", "gcap_quadratic"]
METHODS: tuple[Method, ...] = ("usl3_bounded", "usl3", "usl2_normalized", "gcap_quadratic")

SeConvention = Literal["full", "usl1"]
"""``full``: covariance over every fitted parameter, df = n - p (R nls, usl >= 2.0, curve_fit).
``usl1``: for the 3-parameter fits, the Jacobian w.r.t. sigma and kappa only, df = n - 2, lambda
taken as known (usl 1.x). For the normalised methods lambda is measured, so both are the same."""

Array = NDArray[np.float64]

# Tolerances near machine precision: the published values are printed to 6-9 digits, and a
# fit that stops early (as codahale/usl's Go fit does) is off in the 5th.
_TOL = 1e-15
_MAX_EVALUATIONS = 20_000
_SIGMA_GRID = np.concatenate(([0.0], np.logspace(-6.0, 0.0, 25)))
_KAPPA_GRID = np.concatenate(([0.0], np.logspace(-9.0, 0.0, 28)))


@dataclass(frozen=True, slots=True)
class Estimate3:
    """What an estimator returns: the parameters, their covariance and the residual scale.

    Attributes:
        sigma, kappa, lam: the estimates (lam = lambda).
        cov: 3x3 covariance of (sigma, kappa, lambda); lambda's row and column are 0 when
            lambda was measured (normalised methods) or left out (``usl1``).
        lambda_has_se: whether cov holds a variance for lambda.
        sse: sum of squared residuals of X (always on the X scale).
        df: residual degrees of freedom of the covariance (n - fitted parameters).
    """

    sigma: float
    kappa: float
    lam: float
    cov: Array
    lambda_has_se: bool
    sse: float
    df: int


def usl_throughput(n: Array, sigma: float, kappa: float, lam: float) -> Array:
    """X(N) = lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1)), elementwise."""
    return lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


def usl_jacobian(n: Array, sigma: float, kappa: float, lam: float) -> Array:
    """d X(N) / d (sigma, kappa, lambda), one row per N."""
    denominator = 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)
    x = lam * n / denominator
    return np.column_stack(
        (-x * (n - 1.0) / denominator, -x * n * (n - 1.0) / denominator, n / denominator)
    )


def estimate(n: Array, x: Array, method: Method, se: SeConvention) -> Estimate3:
    """Fit by ``method`` (one of METHODS, checked by the caller); CapacityError when the data
    cannot give a finite answer."""
    if method == "usl3_bounded":
        return _nonlinear3(n, x, bounded=True, se=se)
    if method == "usl3":
        return _nonlinear3(n, x, bounded=False, se=se)
    if method == "usl2_normalized":
        return _normalized(n, x)
    return _quadratic(n, x)  # gcap_quadratic: the last of the Method literals


def _grid_start(n: Array, x: Array) -> tuple[float, float, float]:
    """The grid point with the least SSE, lambda solved exactly for each (sigma, kappa)."""
    sigma = _SIGMA_GRID[:, None, None]
    kappa = _KAPPA_GRID[None, :, None]
    shape = n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
    lam = (shape @ x) / np.einsum("skn,skn->sk", shape, shape)
    sse = np.einsum("skn,skn->sk", x - lam[..., None] * shape, x - lam[..., None] * shape)
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)
    return float(_SIGMA_GRID[i]), float(_KAPPA_GRID[j]), float(lam[i, j])


def _nonlinear3(n: Array, x: Array, *, bounded: bool, se: SeConvention) -> Estimate3:
    from scipy.optimize import least_squares

    start = np.array(_grid_start(n, x))
    if bounded:
        options = {"method": "trf", "bounds": ([0.0, 0.0, 0.0], [1.0, 1.0, np.inf])}
    else:
        options = {"method": "lm"}
    result = least_squares(
        lambda p: usl_throughput(n, p[0], p[1], p[2]) - x,
        start,
        jac=lambda p: usl_jacobian(n, p[0], p[1], p[2]),
        x_scale="jac",
        xtol=_TOL,
        ftol=_TOL,
        gtol=_TOL,
        max_nfev=_MAX_EVALUATIONS,
        **options,
    )
    if not result.success:
        msg = f"the USL fit did not converge ({result.message}); check the data for outliers"
        raise CapacityError(msg)
    sigma, kappa, lam = (float(v) for v in result.x)
    residuals = usl_throughput(n, sigma, kappa, lam) - x
    sse = float(residuals @ residuals)
    jacobian = usl_jacobian(n, sigma, kappa, lam)
    if se == "usl1":
        cov = _embed(_covariance(jacobian[:, :2], sse, n.size - 2))
        return Estimate3(sigma, kappa, lam, cov, False, sse, n.size - 2)
    cov = _covariance(jacobian, sse, n.size - 3)
    return Estimate3(sigma, kappa, lam, cov, True, sse, n.size - 3)


def _normalized(n: Array, x: Array) -> Estimate3:
    from scipy.optimize import least_squares

    x1 = _x_at_one(n, x, "usl2_normalized")
    c = x / x1
    sigma0, kappa0, _ = _grid_start(n, c)
    result = least_squares(
        lambda p: usl_throughput(n, p[0], p[1], 1.0) - c,
        np.array([sigma0, kappa0]),
        jac=lambda p: usl_jacobian(n, p[0], p[1], 1.0)[:, :2],
        method="lm",
        x_scale="jac",
        xtol=_TOL,
        ftol=_TOL,
        gtol=_TOL,
        max_nfev=_MAX_EVALUATIONS,
    )
    if not result.success:
        msg = f"the normalised USL fit did not converge ({result.message})"
        raise CapacityError(msg)
    sigma, kappa = (float(v) for v in result.x)
    residuals = usl_throughput(n, sigma, kappa, x1) - x
    sse = float(residuals @ residuals)
    # The covariance on the C scale equals the one on the X scale: residuals and Jacobian both
    # scale by 1/X(1), and the two factors cancel.
    cov = _embed(_covariance(usl_jacobian(n, sigma, kappa, x1)[:, :2], sse, n.size - 2))
    return Estimate3(sigma, kappa, x1, cov, False, sse, n.size - 2)


def _quadratic(n: Array, x: Array) -> Estimate3:
    x1 = _x_at_one(n, x, "gcap_quadratic")
    dx = n - 1.0
    y = n * x1 / x - 1.0
    design = np.column_stack((dx * dx, dx))
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    sigma, kappa = float(b - a), float(a)
    df = n.size - 2
    # The uncertainty of this estimator is that of its own regression (on the y scale): the
    # coefficients are not a least-squares optimum on X, so X's Jacobian would misstate it.
    fitted = design @ np.array([a, b])
    line = _covariance(design, float((y - fitted) @ (y - fitted)), df)
    to_sigma_kappa = np.array([[-1.0, 1.0], [1.0, 0.0]])  # (a, b) -> (b - a, a)
    cov = _embed(to_sigma_kappa @ line @ to_sigma_kappa.T)
    residuals = usl_throughput(n, sigma, kappa, x1) - x
    return Estimate3(sigma, kappa, x1, cov, False, float(residuals @ residuals), df)


def _x_at_one(n: Array, x: Array, method: str) -> float:
    at_one = x[n == 1.0]
    if at_one.size == 0:
        msg = (
            f"method {method} divides by the throughput at N = 1, and the data have no N = 1 "
            "row; add a measurement at N = 1 or use method usl3_bounded"
        )
        raise CapacityError(msg)
    return float(at_one.mean())


def _covariance(jacobian: Array, sse: float, df: int) -> Array:
    if df < 1:
        msg = f"{jacobian.shape[0]} points leave no degrees of freedom for standard errors"
        raise CapacityError(msg)
    try:
        inverse = np.linalg.inv(jacobian.T @ jacobian)
    except np.linalg.LinAlgError:
        inverse = np.full((jacobian.shape[1],) * 2, np.inf)
    cov = np.asarray(inverse * (sse / df), dtype=np.float64)
    if not np.all(np.isfinite(cov)):
        msg = "the data do not determine sigma, kappa and lambda apart; add more load levels"
        raise CapacityError(msg)
    return cov


def _embed(cov2: Array) -> Array:
    """A (sigma, kappa) covariance as the 3x3 one with lambda's row and column zero."""
    cov = np.zeros((3, 3))
    cov[:2, :2] = cov2
    return cov
