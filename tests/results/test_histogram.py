from __future__ import annotations

import numpy as np
import pytest

from loadplan.results.histogram import (
    HIGHEST_US,
    decode,
    encode,
    mean_value,
    merged,
    new_histogram,
    percentiles_ms,
    record_many,
    values_at_percentiles,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_record_many_matches_hdrh_record_value(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [rng.integers(1, 5000, 5000), rng.integers(1, HIGHEST_US, 200), [1, 2047, 2048, 4096]]
    )
    fast, slow = new_histogram(), new_histogram()
    record_many(fast, values)
    for v in values.tolist():
        slow.record_value(v)
    assert fast.get_total_count() == slow.get_total_count()
    assert (fast.min_value, fast.max_value) == (slow.min_value, slow.max_value)
    assert all(
        fast.get_count_at_index(i) == slow.get_count_at_index(i) for i in range(fast.counts_len)
    )


def test_out_of_range_values_are_clamped_and_counted() -> None:
    hist = new_histogram()
    clamped = record_many(hist, [0, 5, HIGHEST_US + 10, -3])
    assert clamped == 3
    assert hist.get_total_count() == 4
    assert hist.get_max_value() >= HIGHEST_US


def test_merge_adds_counts_exactly_and_survives_encoding() -> None:
    a, b = new_histogram(), new_histogram()
    record_many(a, range(1, 1001))
    record_many(b, range(500, 3001))
    both = decode(encode(merged([a, b])))
    assert both.get_total_count() == 1000 + 2501
    assert both.get_count_at_value(600) == a.get_count_at_value(600) + b.get_count_at_value(600)


def test_percentiles_ms_of_empty_is_empty() -> None:
    assert percentiles_ms(new_histogram()) == {}


@pytest.mark.parametrize(
    "values",
    [
        [1],
        [5, 5, 5, 5],
        list(range(1, 3000)),
        [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, HIGHEST_US],
        np.random.default_rng(7).lognormal(8, 2, 20_000).astype(int).clip(1, HIGHEST_US).tolist(),
    ],
    ids=["one", "equal", "range", "decades", "lognormal"],
)
def test_fast_percentiles_and_mean_match_hdrh(values: list[int]) -> None:
    hist = new_histogram()
    record_many(hist, values)
    quantiles = (0, 1, 50, 90, 95, 99, 99.9, 100)
    assert values_at_percentiles(hist, quantiles) == [
        hist.get_value_at_percentile(q) for q in quantiles
    ]
    assert mean_value(hist) == pytest.approx(hist.get_mean_value(), rel=1e-12)
