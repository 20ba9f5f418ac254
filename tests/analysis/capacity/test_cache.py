"""Cache sizing against popularity laws whose LRU hit rate is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.analysis.capacity.cache import size_cache
from loadplan.workload.zipf import zipf_weights

UNIFORM = np.full(1000, 1.0)


@pytest.mark.parametrize(
    ("measured", "floor", "effective", "for_floor"),
    [
        (0.25, 0.5, 250, 500),
        (None, 0.9, None, 900),
        (0.999, None, 999, None),
        (None, 1.0, None, 1000),
    ],
    ids=["quarter-and-half", "floor-only", "nearly-all", "floor-of-one-needs-everything"],
)
def test_uniform_popularity_hits_in_proportion_to_the_size(
    measured: float | None, floor: float | None, effective: int | None, for_floor: int | None
) -> None:
    # Under uniform popularity an LRU cache of C of N items hits C / N (Che is exact there).
    sizing = size_cache(UNIFORM, measured=measured, floor=floor)
    assert sizing.distinct == 1000
    assert sizing.effective_size == effective
    assert sizing.size_for_floor == for_floor
    for point in sizing.curve:
        assert point.hit_rate == pytest.approx(point.size / 1000, abs=1e-6)


def test_a_skewed_workload_needs_a_far_smaller_cache_than_its_distinct_count() -> None:
    probs = zipf_weights(100_000, 1.0)
    sizing = size_cache(probs, floor=0.5)
    assert sizing.size_for_floor is not None
    # Zipf(1) over 100,000 items: an LRU holding about 1 % of them keeps half the traffic.
    assert 500 < sizing.size_for_floor < 2_000
    rates = [p.hit_rate for p in sizing.curve]
    assert rates == sorted(rates)
    assert sizing.curve[-1].size == 100_000
    assert sizing.curve[-1].hit_rate == 1.0


def test_no_traffic_is_refused() -> None:
    with pytest.raises(ValueError, match="no requests"):
        size_cache(np.zeros(3))
