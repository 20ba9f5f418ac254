"""The sampler: request i is a pure function of (seed, i), for any worker split."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.engine.request import Request
from loadplan.workload.catalog import constant_catalog
from loadplan.workload.sampler import BLOCK_SIZE, RequestSampler
from loadplan.workload.template import RequestTemplate

from .conftest import make_sampler


def test_same_seed_same_sequence_across_samplers() -> None:
    assert make_sampler(seed=5).batch(0, 3000) == make_sampler(seed=5).batch(0, 3000)


def test_other_seed_other_sequence() -> None:
    assert make_sampler(seed=5).batch(0, 100) != make_sampler(seed=6).batch(0, 100)


@pytest.mark.parametrize("workers", [1, 2, 3, 7], ids=lambda n: f"{n}-workers")
def test_workers_partition_the_global_sequence(workers: int) -> None:
    whole = make_sampler(seed=9).batch(100, 10_000)
    parts = [make_sampler(seed=9).batch(100, 10_000, k, workers) for k in range(workers)]
    merged: list[Request | None] = [None] * len(whole)
    for k, part in enumerate(parts):
        first = (k - 100) % workers
        merged[first::workers] = part
    assert merged == whole


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        pytest.param(0, 1, id="first"),
        pytest.param(BLOCK_SIZE - 3, BLOCK_SIZE + 3, id="across-a-block-edge"),
        pytest.param(5, 3 * BLOCK_SIZE + 5, id="several-blocks"),
        pytest.param(10**12, 10**12 + 10, id="far-away"),
        pytest.param(7, 7, id="empty"),
    ],
)
def test_any_range_equals_the_requests_one_by_one(start: int, stop: int) -> None:
    fresh = make_sampler(seed=3)
    ranged = make_sampler(seed=3).batch(start, stop)
    assert ranged == [fresh.batch(i, i + 1)[0] for i in range(start, stop)]


def test_order_of_calls_does_not_matter() -> None:
    a, b = make_sampler(seed=1), make_sampler(seed=1)
    later, earlier = a.batch(50_000, 50_100), a.batch(0, 100)
    assert b.batch(0, 100) == earlier
    assert b.batch(50_000, 50_100) == later


def test_worker_with_nothing_in_range() -> None:
    assert make_sampler().batch(10, 12, worker=3, workers=5) == []


def test_empirical_shares_follow_the_catalog() -> None:
    sampler = make_sampler(n=50, s=1.0, seed=2)
    items = sampler.indices(0, 200_000)
    observed = np.bincount(items, minlength=50) / len(items)
    np.testing.assert_allclose(observed, sampler.catalog.probs, atol=0.004)


def test_requests_carry_target_and_tags() -> None:
    sampler = make_sampler(n=200, langs=["ja"] * 100 + [None] * 100)
    requests = sampler.batch(0, 500)
    for request in requests:
        assert request.method == "GET"
        assert request.target.startswith("/search?q=q")
        names = [name for name, _ in request.tags]
        assert names in (["lang", "bucket"], ["bucket"])
        assert ("lang=ja" in request.target) == (names == ["lang", "bucket"])
    assert {dict(r.tags)["bucket"] for r in requests} == {"head", "torso", "tail"}


def test_requests_for_the_same_item_are_shared() -> None:
    sampler = make_sampler(n=3)
    first, *rest = (r for r in sampler.batch(0, 100) if r.target == sampler.item_request(0).target)
    assert all(r is first for r in rest)


def test_constant_sampler_sends_get_root() -> None:
    sampler = RequestSampler(constant_catalog(), RequestTemplate.build("GET", "/"), seed=0)
    assert sampler.batch(0, 3) == [Request("GET", "/", (), b"", ())] * 3
    assert sampler.length is None
    assert sampler.offsets is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param((5, 4), "need 0 <= start <= stop", id="stop-before-start"),
        pytest.param((-1, 4), "need 0 <= start <= stop", id="negative-start"),
        pytest.param((0, 4, 2, 2), "need 0 <= worker < workers", id="worker-too-big"),
        pytest.param((0, 4, 0, 0), "need 0 <= worker < workers", id="no-workers"),
    ],
)
def test_bad_arguments(args: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_sampler().batch(*args)


def test_negative_seed() -> None:
    with pytest.raises(ValueError, match="seed = -1: must be >= 0"):
        make_sampler(seed=-1)


def test_warming_builds_the_most_popular_requests_and_changes_no_draw() -> None:
    cold, warm = make_sampler(seed=3), make_sampler(seed=3)
    warm.warm(items=10)
    top = np.argsort(-warm.catalog.probs, kind="stable")[:10]
    # built ahead: exactly the ten most popular
    assert set(np.flatnonzero(warm._built).tolist()) == set(top.tolist())
    assert warm.batch(0, 5000) == cold.batch(0, 5000)
