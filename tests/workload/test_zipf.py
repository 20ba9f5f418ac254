"""Popularity models: Zipf weights, the head/tail exponent solver and rank buckets."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.workload.zipf import (
    RankModel,
    bucket_codes,
    solve_exponent,
    top_count,
    top_share,
    zipf_weights,
)


@pytest.mark.parametrize(
    ("n", "fraction", "expected"),
    [
        pytest.param(100_000, 0.01, 1_000, id="1%-of-100k-is-exact"),
        pytest.param(100, 0.10, 10, id="10%-of-100"),
        pytest.param(50, 0.01, 1, id="rounds-up-to-one"),
        pytest.param(7, 0.5, 4, id="rounds-up"),
        pytest.param(3, 1.0, 3, id="whole"),
    ],
)
def test_top_count(n: int, fraction: float, expected: int) -> None:
    assert top_count(n, fraction) == expected


@pytest.mark.parametrize(
    ("n", "s", "expected"),
    [
        pytest.param(4, 1.0, [12 / 25, 6 / 25, 4 / 25, 3 / 25], id="s1"),
        pytest.param(3, 0.0, [1 / 3, 1 / 3, 1 / 3], id="s0-uniform"),
        pytest.param(2, 2.0, [0.8, 0.2], id="s2"),
        pytest.param(1, 1.0, [1.0], id="single"),
    ],
)
def test_zipf_weights(n: int, s: float, expected: list[float]) -> None:
    np.testing.assert_allclose(zipf_weights(n, s), expected)


def test_zipf_weights_large_exponent_does_not_overflow() -> None:
    weights = zipf_weights(1000, 400.0)
    assert weights[0] == pytest.approx(1.0)
    assert np.isfinite(weights).all()


def test_zipf_weights_refuses_empty() -> None:
    with pytest.raises(ValueError, match="at least one rank"):
        zipf_weights(0, 1.0)


@pytest.mark.parametrize(
    ("n", "top", "share"),
    [
        pytest.param(100_000, 0.01, 0.5, id="1%-takes-50%"),
        pytest.param(100_000, 0.01, 0.2, id="1%-takes-20%"),
        pytest.param(10_000, 0.10, 0.9, id="10%-takes-90%"),
        pytest.param(1_000, 0.05, 0.99, id="steep"),
        pytest.param(200, 0.5, 0.6, id="half-takes-60%"),
    ],
)
def test_solve_exponent_makes_the_sentence_true(n: int, top: float, share: float) -> None:
    s = solve_exponent(n, top, share)
    assert top_share(zipf_weights(n, s), top) == pytest.approx(share, abs=1e-6)


@pytest.mark.parametrize(
    ("n", "top", "share", "match"),
    [
        pytest.param(1000, 0.01, 0.01, "must be above", id="share-equals-uniform"),
        pytest.param(1000, 0.10, 0.05, "must be above", id="share-below-uniform"),
        pytest.param(10, 0.99, 0.999, "must be above", id="top-is-whole-pool"),
    ],
)
def test_solve_exponent_refuses_impossible(n: int, top: float, share: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        solve_exponent(n, top, share)


@pytest.mark.parametrize(
    ("model", "n", "exponent"),
    [
        pytest.param(RankModel("zipf", s=1.3), 100, 1.3, id="zipf"),
        pytest.param(RankModel("uniform"), 100, 0.0, id="uniform"),
        pytest.param(RankModel("head_tail"), 1, 0.0, id="head-tail-single-query"),
    ],
)
def test_rank_model_exponent(model: RankModel, n: int, exponent: float) -> None:
    assert model.exponent(n) == pytest.approx(exponent, abs=1e-6)
    assert model.weights(n).sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("n", "head", "torso", "counts"),
    [
        pytest.param(1000, 0.01, 0.09, [10, 90, 900], id="defaults"),
        pytest.param(100_000, 0.01, 0.09, [1000, 9000, 90_000], id="defaults-100k"),
        pytest.param(10, 0.01, 0.09, [1, 0, 9], id="tiny-pool"),
        pytest.param(100, 0.2, 0.0, [20, 0, 80], id="no-torso"),
        pytest.param(100, 0.5, 0.5, [50, 50, 0], id="no-tail"),
    ],
)
def test_bucket_codes(n: int, head: float, torso: float, counts: list[int]) -> None:
    codes = bucket_codes(n, head, torso)
    assert np.bincount(codes, minlength=3).tolist() == counts
    assert (np.diff(codes) >= 0).all(), "buckets follow rank order"
