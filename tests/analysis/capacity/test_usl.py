"""The USL fit against every published value in data/usl/expected.json, and its refusals.

Each published value is one test: it passes when our fit, rounded to the digits printed, equals it
(the file's "matches"), or is within the check's rtol (its "close"). Run this module as a script
to print the accuracy table of docs/capacity-usl.md:

    python -m tests.analysis.capacity.test_usl
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import t

from loadplan.analysis.capacity.usl import MIN_LEVELS, UslFit, fit_usl, usl_model
from loadplan.analysis.capacity.usl_data import read_usl_csv
from loadplan.errors import CapacityError

DATA = Path(__file__).parent / "data" / "usl"
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
CHECKS: list[dict[str, Any]] = EXPECTED["checks"]
PUBLISHED_VALUES = 55  # "55 values over 7 data sets": none may go unchecked


def points(check: dict[str, Any]) -> tuple[list[float], list[float]]:
    csv_name = EXPECTED["datasets"][check["dataset"]]["csv"]
    data = read_usl_csv(DATA / csv_name, min_levels=1)
    start, stop = check.get("rows", (0, len(data.n)))
    return list(data.n[start:stop]), list(data.x[start:stop])


def fit_check(check: dict[str, Any]) -> UslFit:
    n, x = points(check)
    return fit_usl(
        n,
        x,
        check["method"],
        se=check.get("se", "full"),
        # Every published interval is R usl's (usl::confint).
        ci="usl_confint",
        # One published fit (raytracer[1:5]) was made on 5 points; we refuse that by default.
        min_levels=min(MIN_LEVELS, len(set(n))),
    )


def ours(fit: UslFit, key: str) -> float:
    """Our value for a published key (names as in expected.json's "derived")."""
    params = {"sigma": fit.sigma, "kappa": fit.kappa, "lambda": fit.lambda_}
    name, _, part = key.partition("_")
    if name in params:
        item = params[name]
        if part == "":
            return item.value
        if part == "se":
            assert item.se is not None, f"{key}: our fit gives no standard error"
            return item.se
        assert item.ci is not None, f"{key}: our fit gives no interval"
        return {"ci_lo": item.ci[0], "ci_hi": item.ci[1]}[part]
    if key == "resid_se":
        # usl2_normalized's residual s.e. is published on the normalised C = X/X(1) scale.
        return fit.resid_se / (fit.lambda_.value if fit.method == "usl2_normalized" else 1.0)
    derived = {
        "N_star": fit.n_star and fit.n_star.value,
        "X_at_N_star": fit.x_max and fit.x_max.value,
        "N_opt": fit.n_opt,
        "X_roof": fit.x_roof and fit.x_roof.value,
        "N_star_floor": fit.n_star_floor,
        "X_at_N_star_floor": fit.x_max_floor,
    }
    value = derived[key]
    assert value is not None, f"{key}: our fit reports none (kappa or sigma ~ 0)"
    return float(value)


def rounds_to(value: float, published: str) -> bool:
    """Does ``value`` rounded to the digits of ``published`` equal it ("1.1e2": tens)?"""
    exponent = Decimal(published).as_tuple().exponent
    assert isinstance(exponent, int)
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(exponent), ROUND_HALF_EVEN)
    return rounded == Decimal(published)


def relative_difference(value: float, published: str) -> float:
    return abs(value - float(published)) / abs(float(published))


CASES = [
    pytest.param(check, key, published, id=f"{check['id']}:{key}")
    for check in CHECKS
    for key, published in check["published"].items()
]


def test_every_published_value_has_a_case() -> None:
    assert len(CASES) == PUBLISHED_VALUES
    assert len({check["dataset"] for check in CHECKS}) == len(EXPECTED["datasets"]) - 1
    # the seventh data set, oracledb, has no coefficients printed as text ("informational")


@pytest.mark.parametrize(("check", "key", "published"), CASES)
def test_published_value(check: dict[str, Any], key: str, published: str) -> None:
    value = ours(fit_check(check), key)
    close = relative_difference(value, published) <= check["rtol"]
    assert rounds_to(value, published) or close, (
        f"{key}: ours {value!r}, published {published} (rtol {check['rtol']})"
    )


@pytest.mark.parametrize(
    "check",
    [pytest.param(c, id=c["id"]) for c in CHECKS if "resid_df" in c],
)
def test_published_residual_degrees_of_freedom(check: dict[str, Any]) -> None:
    n, _ = points(check)
    assert check["resid_df"] == "n-2"
    assert fit_check(check).resid_df == len(n) - 2


def sse(n: list[float], x: list[float], sigma: float, kappa: float, lam: float) -> float:
    residuals = usl_model(n, sigma, kappa, lam) - np.asarray(x)
    return float(residuals @ residuals)


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(c, id=c["id"])
        for c in CHECKS
        if c["method"] in ("usl3", "usl3_bounded")
        and {"sigma", "kappa", "lambda"} <= c["published"].keys()
    ],
)
def test_our_least_squares_optimum_is_no_worse_than_the_published_one(
    check: dict[str, Any],
) -> None:
    """Where we differ from a published 3-parameter fit, ours has the smaller squared error."""
    n, x = points(check)
    fit = fit_check(check)
    published = [float(check["published"][key]) for key in ("sigma", "kappa", "lambda")]
    assert sse(n, x, fit.sigma.value, fit.kappa.value, fit.lambda_.value) <= sse(n, x, *published)


def test_default_intervals_are_two_sided_t_with_n_minus_p_df() -> None:
    raytracer = read_usl_csv(DATA / "raytracer.csv")
    n, x = raytracer.n[:6], raytracer.x[:6]
    default, usl = fit_usl(n, x), fit_usl(n, x, ci="usl_confint")
    assert default.ci_convention == "two_sided_t"
    for ours_item, usl_item in (
        (default.sigma, usl.sigma),
        (default.kappa, usl.kappa),
        (default.lambda_, usl.lambda_),
    ):
        assert ours_item.se is not None
        assert ours_item.ci is not None
        assert usl_item.ci is not None
        assert ours_item.se == usl_item.se
        half = ours_item.se * t.ppf(0.975, 6 - 3)
        # usl3_bounded's parameters cannot be negative, and neither can their intervals.
        expected = (max(ours_item.value - half, 0.0), ours_item.value + half)
        assert ours_item.ci == pytest.approx(expected)
        assert ours_item.ci[0] <= usl_item.ci[0] < usl_item.ci[1] < ours_item.ci[1]


KNOWN = [
    # sigma, kappa, lambda, loads
    pytest.param(0.02, 0.02, 1.0, [1, 2, 4, 6, 8, 10], id="usl-test-shape"),
    pytest.param(0.0277, 1.04e-4, 90.0, [1, 18, 36, 72, 108, 144, 216], id="specsdm91-shape"),
    pytest.param(0.05, 1e-4, 20.0, [1, 4, 8, 16, 32, 64, 128], id="rising-to-peak"),
    pytest.param(0.3, 0.01, 5e4, [1, 2, 3, 4, 5, 6, 8, 10, 12], id="steep-contention"),
    pytest.param(0.001, 1e-5, 0.25, [2, 10, 50, 100, 200, 400, 800], id="no-n1-row-slow-units"),
    pytest.param(0.1, 0.5, 3.0, [1, 1.5, 2, 2.5, 3, 4], id="fractional-loads"),
]


@pytest.mark.parametrize("method", ["usl3_bounded", "usl3"])
@pytest.mark.parametrize(("sigma", "kappa", "lam", "loads"), KNOWN)
def test_noiseless_data_gives_back_its_parameters(
    method: str, sigma: float, kappa: float, lam: float, loads: list[float]
) -> None:
    fit = fit_usl(loads, usl_model(loads, sigma, kappa, lam), method)  # type: ignore[arg-type]
    assert fit.sigma.value == pytest.approx(sigma, rel=1e-6)
    assert fit.kappa.value == pytest.approx(kappa, rel=1e-6)
    assert fit.lambda_.value == pytest.approx(lam, rel=1e-6)
    assert fit.n_star is not None
    assert fit.n_star.value == pytest.approx(math.sqrt((1 - sigma) / kappa), rel=1e-6)
    assert fit.r2 == pytest.approx(1.0)


def test_noiseless_random_parameters_are_recovered() -> None:
    rng = np.random.default_rng(20261203)
    for _ in range(25):
        sigma, kappa = 10 ** rng.uniform(-3, -0.5), 10 ** rng.uniform(-5, -2)
        lam = 10 ** rng.uniform(-1, 5)
        peak = math.sqrt((1 - sigma) / kappa)
        loads = np.unique(np.geomspace(1, 2 * peak, 9).round(2))
        fit = fit_usl(loads, usl_model(loads, sigma, kappa, lam))
        got = (fit.sigma.value, fit.kappa.value, fit.lambda_.value)
        assert got == pytest.approx((sigma, kappa, lam), rel=1e-6), (sigma, kappa, lam)


@pytest.mark.parametrize("noise", [0.0, 0.01], ids=["noiseless", "noise-1pct"])
@pytest.mark.parametrize("method", ["usl3_bounded", "usl3"])
def test_kappa_zero_means_no_peak(method: str, noise: float) -> None:
    loads = np.array([1, 2, 4, 8, 12, 16, 24, 32, 48, 64], dtype=float)
    rng = np.random.default_rng(7)
    x = usl_model(loads, 0.05, 0.0, 100.0) * (1 + noise * rng.standard_normal(loads.size))
    fit = fit_usl(loads, x, method)  # type: ignore[arg-type]
    assert fit.kappa_negligible
    assert fit.n_star is None
    assert fit.x_max is None
    assert fit.n_star_floor is None
    assert fit.x_roof is not None
    assert fit.x_roof.value == pytest.approx(100.0 / 0.05, rel=0.2 if noise else 1e-6)
    assert fit.to_json()["n_star"] is None


def test_sigma_zero_means_no_roof() -> None:
    loads = [1, 2, 4, 8, 16, 32]
    fit = fit_usl(loads, usl_model(loads, 0.0, 1e-3, 10.0))
    assert fit.sigma_negligible
    assert fit.x_roof is None
    assert fit.n_opt is None
    assert fit.n_star is not None
    assert fit.n_star.value == pytest.approx(math.sqrt(1 / 1e-3), rel=1e-6)


def test_published_raytracer_bounded_fit_puts_kappa_on_its_bound() -> None:
    """The 'informational' note: all 11 raytracer rows leave no retrograde region."""
    raytracer = read_usl_csv(DATA / "raytracer.csv")
    fit = fit_usl(raytracer.n, raytracer.x)
    assert fit.kappa.value < 1e-12
    assert fit.kappa_negligible
    assert fit.n_star is None
    unconstrained = fit_usl(raytracer.n, raytracer.x, "usl3")
    assert unconstrained.kappa.value < 0
    assert unconstrained.n_star is None


JSON_KEYS = {
    "method",
    "n_points",
    "r2",
    "resid_se",
    *(f"{name}{part}" for name in ("sigma", "kappa", "lambda", "n_star", "x_max", "x_roof")
      for part in ("", "_se", "_ci")),
}  # fmt: skip


def test_to_json_keys_and_values() -> None:
    specsdm91 = read_usl_csv(DATA / "specsdm91.csv")
    fit = fit_usl(specsdm91.n, specsdm91.x)
    document = fit.to_json()
    assert document.keys() >= JSON_KEYS
    assert document["sigma"] == fit.sigma.value
    assert document["sigma_ci"] == list(fit.sigma.ci or ())
    assert document["n_points"] == 7
    assert document["method"] == "usl3_bounded"
    json.dumps(document, allow_nan=False)


@pytest.mark.parametrize(
    ("n", "x", "message"),
    [
        pytest.param(
            [1, 2, 4, 8, 16],
            [1, 2, 3, 4, 5],
            "5 load levels; the USL fit needs at least 6 (add 1 more)",
            id="five-levels",
        ),
        pytest.param(
            [1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8],
            [1.0] * 12,
            "4 load levels; the USL fit needs at least 6 (add 2 more)",
            id="repeats-are-one-level",
        ),
        pytest.param([1, 2, 3, 0, 5, 6], [1] * 6, "N[3] = 0.0: each load must be", id="zero-n"),
        pytest.param([1, 2, 3, 4, 5, 6], [1, 2, -3, 4, 5, 6], "X[2] = -3.0", id="negative-x"),
        pytest.param([1, 2, 3, 4, 5, 6], [1, 2, 3, math.nan, 5, 6], "X[3] = nan", id="nan-x"),
        pytest.param([1, 2, math.inf, 4, 5, 6], [1] * 6, "N[2] = inf", id="inf-n"),
        pytest.param([1, 2, 3], [1, 2], "N and X must be two lists", id="lengths"),
    ],
)
def test_refuses(n: list[float], x: list[float], message: str) -> None:
    with pytest.raises(CapacityError) as caught:
        fit_usl(n, x)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("method", ["usl2_normalized", "gcap_quadratic"])
def test_normalised_methods_need_an_n1_row(method: str) -> None:
    reqrate = read_usl_csv(DATA / "usl_test_reqrate.csv")
    with pytest.raises(CapacityError, match="no N = 1 row; add a measurement at N = 1"):
        fit_usl(reqrate.n, reqrate.x, method)  # type: ignore[arg-type]


def test_unknown_method_is_refused() -> None:
    with pytest.raises(CapacityError, match="method = 'amdahl': use one of usl3_bounded"):
        fit_usl([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], "amdahl")  # type: ignore[arg-type]


def accuracy_table() -> str:
    """Markdown: per check, values that round to the published digits, and the worst gaps."""
    lines = [
        (
            "| check | method | values | round to published | max rel. diff. of the others "
            "| max rel. diff. of all |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for check in CHECKS:
        fit = fit_check(check)
        published = check["published"]
        gaps = {key: relative_difference(ours(fit, key), v) for key, v in published.items()}
        rounded = {key for key, v in published.items() if rounds_to(ours(fit, key), v)}
        others = {key: gap for key, gap in gaps.items() if key not in rounded}
        worst = max(gaps, key=lambda key: gaps[key])
        worst_other = (
            "none" if not others else f"{max(others.values()):.1e} ({max(others, key=others.get)})"
        )
        lines.append(
            f"| {check['id']} | {check['method']} | {len(published)} | {len(rounded)} "
            f"| {worst_other} | {gaps[worst]:.1e} ({worst}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(accuracy_table())
