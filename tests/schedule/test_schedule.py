from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loadplan.schedule.arrivals import Arrivals
from loadplan.schedule.schedule import Schedule
from loadplan.schedule.stages import RateProfile


def all_offsets(schedule: Schedule) -> tuple[np.ndarray, np.ndarray]:
    blocks = list(schedule.blocks())
    return (
        np.concatenate([b.indices for b in blocks]),
        np.concatenate([b.offsets_ns for b in blocks]),
    )


def test_uniform_is_evenly_spread() -> None:
    schedule = Schedule(RateProfile.constant(500, 5), Arrivals.UNIFORM)
    _, offsets = all_offsets(schedule)
    assert len(offsets) == 2500 == schedule.expected_count()
    assert set(np.diff(offsets).tolist()) == {2_000_000}


def test_poisson_gaps_are_exponential() -> None:
    schedule = Schedule(RateProfile.constant(500, 60), Arrivals.POISSON, seed=7)
    _, offsets = all_offsets(schedule)
    gaps = np.diff(offsets) / 1e9
    assert len(offsets) == pytest.approx(30_000, rel=0.03)
    assert gaps.mean() == pytest.approx(1 / 500, rel=0.03)
    # Kolmogorov-Smirnov against Exp(rate 500): a correct generator fails this 1 time in 1000.
    assert stats.kstest(gaps, "expon", args=(0, 1 / 500)).pvalue > 0.001


def test_poisson_follows_a_ramp() -> None:
    schedule = Schedule(RateProfile.ramp(100, 900, 20), Arrivals.POISSON, seed=3)
    _, offsets = all_offsets(schedule)
    first, second = np.count_nonzero(offsets < 10e9), np.count_nonzero(offsets >= 10e9)
    # Expected 3000 in the first half and 7000 in the second.
    assert first == pytest.approx(3000, rel=0.06)
    assert second == pytest.approx(7000, rel=0.06)


@pytest.mark.parametrize("arrivals", list(Arrivals), ids=str)
@pytest.mark.parametrize("workers", [2, 3, 7])
def test_worker_shares_union_to_the_single_worker_sequence(
    arrivals: Arrivals, workers: int
) -> None:
    profile = RateProfile.constant(1000, 3)
    single_idx, single_off = all_offsets(Schedule(profile, arrivals, seed=11, block=256))
    parts = [
        all_offsets(Schedule(profile, arrivals, 11, w, workers, block=256)) for w in range(workers)
    ]
    idx = np.concatenate([p[0] for p in parts])
    off = np.concatenate([p[1] for p in parts])
    order = np.argsort(idx)
    assert np.array_equal(idx[order], single_idx)
    assert np.array_equal(off[order], single_off)


def test_same_seed_same_times_other_seed_other_times() -> None:
    profile = RateProfile.constant(100, 10)
    a = all_offsets(Schedule(profile, Arrivals.POISSON, seed=1))[1]
    b = all_offsets(Schedule(profile, Arrivals.POISSON, seed=1))[1]
    c = all_offsets(Schedule(profile, Arrivals.POISSON, seed=2))[1]
    assert np.array_equal(a, b)
    assert not np.array_equal(a[: min(len(a), len(c))], c[: min(len(a), len(c))])


def test_worker_out_of_range() -> None:
    with pytest.raises(ValueError, match="worker 2 of 2"):
        Schedule(RateProfile.constant(1, 1), worker=2, workers=2)
