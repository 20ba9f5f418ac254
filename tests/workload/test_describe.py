"""Describing a workload; the expected LRU hit rate checked against a simulated LRU."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from loadplan.plan.workload import WorkloadSpec
from loadplan.workload.build import build_sampler, load_sampler

from .conftest import WriteFile, make_sampler

REQUESTS = 200_000
WARM_UP = 40_000


def simulated_hit_rate(items: np.ndarray, size: int) -> float:
    """Hit rate of an LRU cache of ``size`` entries over ``items``, after a warm-up."""
    cache: OrderedDict[int, None] = OrderedDict()
    hits = 0
    for position, item in enumerate(items.tolist()):
        if item in cache:
            cache.move_to_end(item)
            hits += position >= WARM_UP
        else:
            cache[item] = None
            if len(cache) > size:
                cache.popitem(last=False)
    return hits / (len(items) - WARM_UP)


@pytest.fixture(scope="module")
def query_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("describe")
    (directory / "q.txt").write_text("\n".join(f"query {i}" for i in range(20_000)), "utf-8")
    return directory


@pytest.mark.parametrize(
    ("s", "cache_size"),
    [
        pytest.param(0.0, 5000, id="uniform-c5000"),
        pytest.param(0.6, 2000, id="s0.6-c2000"),
        pytest.param(0.8, 200, id="s0.8-c200"),
        pytest.param(0.8, 2000, id="s0.8-c2000"),
        pytest.param(1.0, 100, id="s1.0-c100"),
        pytest.param(1.0, 1000, id="s1.0-c1000"),
        pytest.param(1.2, 50, id="s1.2-c50"),
        pytest.param(1.2, 500, id="s1.2-c500"),
    ],
)
def test_expected_hit_rate_matches_a_simulated_lru(
    query_file: Path, s: float, cache_size: int
) -> None:
    plan = query_file / f"plan-{s}.toml"
    plan.write_text(
        f"[workload]\nseed = 11\n[workload.source]\nkind = 'file'\npath = 'q.txt'\n"
        f"[workload.popularity]\nmodel = 'zipf'\ns = {s}\n",
        "utf-8",
    )
    sampler = load_sampler(plan)
    (estimate,) = sampler.describe(cache_sizes=(cache_size,)).cache
    simulated = simulated_hit_rate(sampler.indices(0, REQUESTS), cache_size)
    assert estimate.hit_rate == pytest.approx(simulated, abs=0.02)


def test_expected_hit_rate_for_a_language_mix(write_file: WriteFile) -> None:
    plan = write_file(
        "plan.toml",
        "[workload]\nseed = 2\nlanguages = { en = 3, ar = 1 }\n"
        "[workload.source]\nkind = 'builtin'\npool_size = 3000\n"
        "[workload.popularity]\nmodel = 'head_tail'\ntop = '1%'\nshare = '40%'\n",
    )
    sampler = load_sampler(plan)
    (estimate,) = sampler.describe(cache_sizes=(300,)).cache
    simulated = simulated_hit_rate(sampler.indices(0, REQUESTS), 300)
    assert estimate.hit_rate == pytest.approx(simulated, abs=0.02)


def test_description_of_a_zipf_pool() -> None:
    sampler = make_sampler(n=1000, s=1.0, langs=["en"] * 600 + ["ja"] * 400)
    d = sampler.describe(cache_sizes=(10, 1000), examples=3)
    assert d.distinct == 1000
    assert d.top10_share > d.top1_share > 0.1
    assert [(x.lang, x.script, x.distinct) for x in d.languages] == [
        ("en", "Latin", 600),
        ("ja", "CJK", 400),
    ]
    assert sum(x.share for x in d.languages) == pytest.approx(1.0)
    assert [(b.bucket, b.distinct) for b in d.buckets] == [
        ("head", 10),
        ("torso", 90),
        ("tail", 900),
    ]
    assert sum(b.share for b in d.buckets) == pytest.approx(1.0)
    assert [c.hit_rate for c in d.cache][1] == 1.0
    assert d.mean_terms == pytest.approx(1.0)
    assert 2 < (d.mean_chars or 0) < 4
    assert d.examples == tuple(f"GET {r.target}" for r in sampler.batch(0, 3))
    assert d.replay is None


def test_description_without_a_source() -> None:
    d = build_sampler(WorkloadSpec(), Path(".")).describe(cache_sizes=(1,))
    assert (d.distinct, d.top1_share, d.mean_terms, d.buckets, d.languages[0].lang) == (
        1,
        1.0,
        None,
        (),
        "-",
    )
    assert d.cache[0].hit_rate == 1.0
    assert d.examples == ("GET /",) * 5
