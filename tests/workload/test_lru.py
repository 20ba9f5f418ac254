"""Che's approximation on cases with known answers; the simulation check is in test_describe."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.workload.lru import characteristic_time, che_hit_rate
from loadplan.workload.zipf import zipf_weights


@pytest.mark.parametrize(
    ("probs", "size", "expected"),
    [
        pytest.param(np.full(100, 0.01), 100, 1.0, id="everything-fits"),
        pytest.param(np.full(100, 0.01), 1000, 1.0, id="bigger-than-catalog"),
        pytest.param(np.full(100, 0.01), 0, 0.0, id="no-cache"),
        # Uniform popularity: a cache of C out of N items hits C/N of requests.
        pytest.param(np.full(1000, 0.001), 250, 0.25, id="uniform-quarter"),
        pytest.param(np.full(1000, 0.001), 900, 0.9, id="uniform-most"),
    ],
)
def test_che_hit_rate_known(probs: np.ndarray, size: int, expected: float) -> None:
    assert che_hit_rate(probs, size) == pytest.approx(expected, abs=1e-6)


def test_characteristic_time_fills_the_cache() -> None:
    p = zipf_weights(10_000, 0.9)
    t = characteristic_time(p, 500)
    assert (-np.expm1(-p * t)).sum() == pytest.approx(500, rel=1e-6)


def test_hit_rate_grows_with_cache_size() -> None:
    p = zipf_weights(10_000, 1.0)
    rates = [che_hit_rate(p, c) for c in (10, 100, 1000, 5000)]
    assert rates == sorted(rates)
    assert 0 < rates[0] < rates[-1] < 1


def test_zero_probability_items_do_not_count() -> None:
    p = np.array([0.5, 0.5, 0.0, 0.0])
    assert che_hit_rate(p, 2) == 1.0
