"""What a workload looks like before it is sent: the numbers ``loadplan workload inspect`` shows.

Everything is computed from the catalog's exact traffic shares, not from a sample, so it is the
same on every run: how many distinct requests, how concentrated traffic is (share of the top 1 %
and 10 % of distinct requests), the language and bucket mix, how long queries are (weighted by
traffic, as the service sees them) and the hit rate an LRU cache of a given size should reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loadplan.engine.request import Request
from loadplan.languages import SCRIPTS
from loadplan.workload.catalog import Catalog
from loadplan.workload.lru import che_hit_rate
from loadplan.workload.zipf import BUCKETS, top_share

DEFAULT_CACHE_SIZES: tuple[int, ...] = (1_000, 10_000, 100_000)


@dataclass(frozen=True, slots=True)
class LanguageShare:
    """One language of the mix.

    Attributes:
        lang: language code, ``-`` for queries without one.
        script: its writing system, ``-`` when loadplan does not know the language.
        share: its share of traffic.
        distinct: its number of distinct requests.
        exponent: the Zipf exponent over its ranks, None when weights set popularity.
    """

    lang: str
    script: str
    share: float
    distinct: int
    exponent: float | None


@dataclass(frozen=True, slots=True)
class BucketShare:
    """One popularity bucket: how many distinct requests it holds and its share of traffic."""

    bucket: str
    distinct: int
    share: float


@dataclass(frozen=True, slots=True)
class CacheEstimate:
    """Expected steady-state hit rate of an LRU cache holding ``size`` responses."""

    size: int
    hit_rate: float


@dataclass(frozen=True, slots=True)
class ReplayTiming:
    """A timing replay: how many requests over how long, after the speed-up."""

    requests: int
    duration_s: float

    @property
    def mean_rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class WorkloadDescription:
    """A workload's shape.

    Attributes:
        source: where requests come from.
        seed: the seed that fixes the request sequence.
        distinct: number of distinct requests.
        top1_share: share of traffic to the most popular 1 % of distinct requests.
        top10_share: the same for the top 10 %.
        mean_terms: traffic-weighted mean query length in terms, None without queries.
        mean_chars: traffic-weighted mean query length in characters, None without queries.
        languages: the language mix, largest share first.
        buckets: head / torso / tail, empty when requests carry no bucket.
        cache: expected LRU hit rates.
        replay: set for a timing replay.
        examples: the first requests of the sequence, as ``METHOD target``.
        warnings: things the user should know (skipped log lines, ...).
    """

    source: str
    seed: int
    distinct: int
    top1_share: float
    top10_share: float
    mean_terms: float | None
    mean_chars: float | None
    languages: tuple[LanguageShare, ...]
    buckets: tuple[BucketShare, ...]
    cache: tuple[CacheEstimate, ...]
    replay: ReplayTiming | None
    examples: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def describe_catalog(
    catalog: Catalog,
    *,
    seed: int,
    cache_sizes: Sequence[int] = DEFAULT_CACHE_SIZES,
    examples: Sequence[Request] = (),
    warnings: Sequence[str] = (),
) -> WorkloadDescription:
    """Describe ``catalog``; ``examples`` are shown as they are."""
    probs = catalog.probs
    exponents = dict(catalog.exponents)
    languages = []
    for index, lang in [(-1, "-"), *enumerate(catalog.langs)]:
        members = catalog.lang_of == index
        if members.any():
            languages.append(
                LanguageShare(
                    lang=lang,
                    script=SCRIPTS.get(lang, "-"),
                    share=float(probs[members].sum()),
                    distinct=int(members.sum()),
                    exponent=exponents.get(lang),
                )
            )
    languages.sort(key=lambda x: (-x.share, x.lang))
    buckets: tuple[BucketShare, ...] = ()
    if (catalog.bucket_of >= 0).any():
        buckets = tuple(
            BucketShare(
                name,
                int((catalog.bucket_of == code).sum()),
                float(probs[catalog.bucket_of == code].sum()),
            )
            for code, name in enumerate(BUCKETS)
        )
    mean_terms = mean_chars = None
    if "query" in catalog.rows.columns:
        terms, chars = catalog.rows.query_lengths()
        mean_terms, mean_chars = float(probs @ terms), float(probs @ chars)
    replay = None
    if catalog.offsets is not None:
        replay = ReplayTiming(len(catalog.offsets), float(catalog.offsets[-1]))
    return WorkloadDescription(
        source=catalog.label,
        seed=seed,
        distinct=len(probs),
        top1_share=top_share(probs, 0.01),
        top10_share=top_share(probs, 0.10),
        mean_terms=mean_terms,
        mean_chars=mean_chars,
        languages=tuple(languages),
        buckets=buckets,
        cache=tuple(CacheEstimate(int(c), che_hit_rate(probs, int(c))) for c in cache_sizes),
        replay=replay,
        examples=tuple(f"{r.method} {r.target}" for r in examples),
        warnings=tuple(warnings),
    )
