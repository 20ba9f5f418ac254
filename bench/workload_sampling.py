"""How fast the workload side is: building pools, sampling request indices, building Requests.

The engine's hot loop asks the sampler for requests; this script shows that sampling is never
what limits a run. On one core, for the built-in source (9 languages, head/tail popularity):

1. loading the vocabularies (wordfreq, once per process) and building the query pools,
2. sampling request *indices* (``RequestSampler.indices``: block RNG + inverse CDF),
3. building ``Request`` objects with rendered targets (``RequestSampler.batch``) in the steady
   state (each distinct item rendered once, then shared) and rendering items from scratch,
4. one worker's share of a 4-way split (``batch(..., worker=0, workers=4)``).

Run::

    .venv/bin/python bench/workload_sampling.py                  # 9 languages x 100,000
    .venv/bin/python bench/workload_sampling.py --pool-size 10000 --requests 1000000

and record the output in docs/performance/workload-sampling.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from loadplan.plan.workload import WorkloadSpec
from loadplan.workload.build import build_sampler
from loadplan.workload.sampler import RequestSampler
from loadplan.workload.vocab import vocabulary

LANGUAGES = ("en", "es", "de", "fr", "ru", "zh", "ja", "ar", "hi")


def best_of(repeats: int, fn: Callable[[int], object]) -> float:
    """Fastest of ``repeats`` runs (``fn`` gets the run number): the machine is shared, and the
    minimum is the run least disturbed by others."""
    times = []
    for run in range(repeats):
        start = time.perf_counter()
        fn(run)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Workload sampling speed.")
    parser.add_argument("--pool-size", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n, repeats = args.requests, args.repeats

    start = time.perf_counter()
    for lang in LANGUAGES:
        vocabulary(lang, 20_000)
    vocab_s = time.perf_counter() - start
    spec = WorkloadSpec.model_validate(
        {
            "seed": 1,
            "languages": dict.fromkeys(LANGUAGES, 1.0),
            "source": {"kind": "builtin", "pool_size": args.pool_size},
            "popularity": {"model": "head_tail", "top": "1%", "share": "50%"},
        }
    )
    built: list[RequestSampler] = []
    build_s = best_of(repeats, lambda _: built.append(build_sampler(spec, Path("."))))
    sampler = built[-1]

    def fresh() -> RequestSampler:
        return RequestSampler(sampler.catalog, sampler.template, sampler.seed)

    def sample(run: int) -> None:
        # Each run starts far from the others, so every block is drawn, never read from the memo.
        base, s = run * 10**12, fresh()
        for first in range(0, n, 1_000_000):
            s.indices(base + first, base + min(first + 1_000_000, n))

    sample_s = best_of(repeats, sample)

    m = min(n, 500_000)
    warm = fresh()
    warm.batch(0, m)  # the steady state: the head's Requests already built
    batch_s = best_of(repeats, lambda run: warm.batch((run + 1) * m, (run + 2) * m))
    split_s = best_of(repeats, lambda run: warm.batch((run + 1) * m, (run + 2) * m, 0, 4))
    distinct = len(set(warm.indices(m, 2 * m).tolist()))

    count = min(100_000, len(sampler.catalog))

    def render(_: int) -> None:
        s = fresh()  # an empty memo: every item below is rendered
        for item in range(count):
            s.item_request(item)

    render_s = best_of(repeats, render)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"catalog: {len(LANGUAGES)} languages x {args.pool_size:,} = {len(sampler.catalog):,}")
    print()
    print("| what | time | rate |")
    print("|---|---|---|")
    print(f"| load vocabularies (wordfreq, 9 x 20,000 words) | {vocab_s:.2f} s | |")
    print(f"| build pools + catalog (9 x {args.pool_size:,}) | {build_s:.2f} s | |")
    print(f"| sample indices ({n:,}) | {sample_s:.3f} s | {n / sample_s / 1e6:.1f} M/s |")
    print(
        f"| batch(): Requests, steady state ({m:,}, {distinct:,} distinct) "
        f"| {batch_s:.3f} s | {m / batch_s / 1e6:.2f} M/s |"
    )
    print(
        f"| batch(worker=0, workers=4) over {m:,} | {split_s:.3f} s "
        f"| {m / 4 / split_s / 1e6:.2f} M/s of its share |"
    )
    print(
        f"| render Requests from scratch ({count:,} distinct) | {render_s:.3f} s "
        f"| {count / render_s / 1e3:.0f} k/s |"
    )


if __name__ == "__main__":
    main()
