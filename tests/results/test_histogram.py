from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from loadplan.results.histogram import (
    HIGHEST_US,
    counts_at_or_below,
    decode,
    encode,
    merged,
    new_histogram,
    percentiles_ms,
    record_many,
    total_us,
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


def _spread(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.integers(1, 3000, 2000), rng.lognormal(11, 2, 2000).astype(np.int64) + 1, [1, 2048]]
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_values_at_percentiles_match_hdrh_one_by_one(seed: int) -> None:
    hist = new_histogram()
    record_many(hist, _spread(seed))
    pcts = [0, 0.1, 1, 25, 50, 90, 95, 99, 99.9, 99.99, 100]
    assert values_at_percentiles(hist, pcts).tolist() == [
        hist.get_value_at_percentile(p) for p in pcts
    ]


def test_values_at_percentiles_of_an_empty_histogram_are_zero() -> None:
    assert values_at_percentiles(new_histogram(), [50, 99]).tolist() == [0, 0]


@pytest.mark.parametrize(
    ("bound_us", "expected"),
    [
        pytest.param(999, 0, id="below-everything"),
        pytest.param(1000, 2, id="exactly-a-value"),
        pytest.param(5000, 3, id="between-values"),
        pytest.param(300_000, 4, id="sla-bound"),
        pytest.param(301_000, 5, id="just-above-a-bucket"),
        pytest.param(HIGHEST_US, 6, id="top"),
    ],
)
def test_counts_at_or_below_count_values_up_to_the_bound(bound_us: int, expected: int) -> None:
    hist = new_histogram()
    record_many(hist, [1000, 1000, 4000, 299_000, 301_000, 9_000_000])
    assert counts_at_or_below(hist, [bound_us]).tolist() == [expected]


@pytest.mark.parametrize("seed", [3, 4])
def test_counts_at_or_below_agree_with_the_raw_values(seed: int) -> None:
    # Bounds on bucket edges below 2048 µs are exact; above, a value within the bound's bucket
    # (0.1 %) counts as equal to it, so compare against values that keep clear of the bounds.
    values = _spread(seed)
    bounds = np.array([5_000, 10_000, 250_000, 300_000, 1_000_000])
    clear = values[np.all(np.abs(values[:, None] - bounds[None, :]) > bounds * 0.002, axis=1)]
    hist = new_histogram()
    record_many(hist, clear)
    assert counts_at_or_below(hist, bounds).tolist() == [int((clear <= b).sum()) for b in bounds]


def test_total_is_count_times_hdrh_mean_and_percentiles_ms_match_hdrh() -> None:
    hist = new_histogram()
    record_many(hist, _spread(5))
    n = hist.get_total_count()
    assert total_us(hist) / n == pytest.approx(hist.get_mean_value(), rel=1e-12)
    fast = percentiles_ms(hist, (50, 99, 99.9))
    assert fast["p99"] == hist.get_value_at_percentile(99) / 1000
    assert fast["mean"] == round(hist.get_mean_value() / 1000, 3)
    assert total_us(new_histogram()) == 0


def test_a_histogram_is_freed_when_its_last_reference_goes() -> None:
    # hdrh's encoder refers back to its histogram; left as a cycle, each 184 KB histogram
    # waited for the cyclic collector (the coordinator grew 170 MB in 10 minutes).
    gc.disable()
    try:
        fresh = new_histogram()
        record_many(fresh, [5, 50, 500])
        decoded = decode(encode(fresh))
        assert decoded.get_total_count() == 3
        refs = [weakref.ref(fresh), weakref.ref(decoded)]
        del fresh, decoded
        assert all(ref() is None for ref in refs)
    finally:
        gc.enable()


def test_decoding_leaves_no_histogram_behind() -> None:
    def alive() -> int:
        return sum(isinstance(o, HdrHistogram) for o in gc.get_objects())

    payload = encode(new_histogram())
    gc.collect()
    gc.disable()
    try:
        before = alive()
        decoded = decode(payload)
        del decoded
        assert alive() == before  # hdrh's decoded copy is freed too, not left for the collector
    finally:
        gc.enable()
