"""A run's seconds, grouped the way a comparison reads them: per stage label, and per tag.

Each group keeps, per whole second, the counts (due, completed, ok, cache lookups and hits) and
the latency histogram's bucket counts as one row of a sparse matrix. A bootstrap replicate then
merges its resampled seconds with one weighted sum (``weights @ counts``) instead of adding
184 KB histograms, and stays exact: merging HDR intervals adds bucket counts, whichever way.

Groups are the stage label alone (tag ``""``) and each single ``name=value`` tag of it
(``lang=ja``, ``bucket=tail``, ``x-cache=HIT``): all tag combinations holding it, merged, as the
run's own ``by_tag`` summary does. A tag has no offered rate of its own, so its ``due`` is its
completed count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram
from scipy import sparse

from loadplan.results.histogram import counts_view, new_histogram
from loadplan.results.snapshot import IntervalSnapshot, parse_tag_key

WHOLE_SECOND_S = 0.99


@dataclass(frozen=True, slots=True)
class GroupSeconds:
    """One group's whole seconds.

    Attributes:
        label: the stage label.
        tag: ``""`` for the whole stage, else one ``name=value`` tag.
        start_s: each second's start, seconds from the run's start.
        due: requests due in each second.
        completed: requests that ended in each second.
        ok: of those, answered 1xx-3xx.
        lookups: requests whose captured cache header was seen.
        hits: of those, the ones it called a hit.
        counts: latency bucket counts, one row per second, one column per bucket in ``index``.
        index: the hdrh counts index of each column.
        value_us: the highest value each column stands for (what hdrh reports a percentile as).
    """

    label: str
    tag: str
    start_s: npt.NDArray[np.float64]
    due: npt.NDArray[np.int64]
    completed: npt.NDArray[np.int64]
    ok: npt.NDArray[np.int64]
    lookups: npt.NDArray[np.int64]
    hits: npt.NDArray[np.int64]
    counts: sparse.csr_matrix = field(repr=False)
    index: npt.NDArray[np.int64] = field(repr=False)
    value_us: npt.NDArray[np.int64] = field(repr=False)

    @property
    def seconds(self) -> int:
        return len(self.due)


@dataclass(slots=True)
class _Builder:
    start_s: list[float] = field(default_factory=list)
    due: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    ok: list[int] = field(default_factory=list)
    lookups: list[int] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    rows: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = field(default_factory=list)

    def add(
        self,
        start: float,
        due: int,
        ok: int,
        lookups: int,
        hits: int,
        buckets: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    ) -> None:
        """One second; ``buckets`` = (counts indices that are not empty, their counts)."""
        self.start_s.append(start)
        self.due.append(due)
        self.completed.append(int(buckets[1].sum()))
        self.ok.append(ok)
        self.lookups.append(lookups)
        self.hits.append(hits)
        self.rows.append(buckets)

    def build(self, label: str, tag: str, layout_of: HdrHistogram) -> GroupSeconds:
        empty = np.zeros(0, dtype=np.int64)
        where = np.concatenate([r[0] for r in self.rows] or [empty])
        data = np.concatenate([r[1] for r in self.rows] or [empty])
        columns = np.unique(where)
        indptr = np.cumsum([0] + [len(r[0]) for r in self.rows])
        matrix = sparse.csr_matrix(
            (data.astype(np.float64), np.searchsorted(columns, where), indptr),
            shape=(len(self.rows), len(columns)),
        )
        return GroupSeconds(
            label=label,
            tag=tag,
            start_s=np.asarray(self.start_s, dtype=np.float64),
            due=np.asarray(self.due, dtype=np.int64),
            completed=np.asarray(self.completed, dtype=np.int64),
            ok=np.asarray(self.ok, dtype=np.int64),
            lookups=np.asarray(self.lookups, dtype=np.int64),
            hits=np.asarray(self.hits, dtype=np.int64),
            counts=matrix,
            index=columns,
            value_us=_highest_values(layout_of, columns),
        )


def _highest_values(hist: HdrHistogram, index: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    values = [hist.get_highest_equivalent_value(hist.get_value_from_index(int(i))) for i in index]
    return np.asarray(values, dtype=np.int64)


def group_seconds(
    seconds: Iterable[IntervalSnapshot], cache_header: str = ""
) -> dict[tuple[str, str], GroupSeconds]:
    """Every whole second of a run filed by (stage label, tag); tag ``""`` is the whole stage.

    ``cache_header`` (the plan's ``client.capture_header``) names the tag whose values say hit
    or miss; without it no second has cache lookups.
    """
    header = cache_header.lower()
    builders: dict[tuple[str, str], _Builder] = defaultdict(_Builder)
    for snap in seconds:
        if snap.end_s - snap.start_s < WHOLE_SECOND_S:
            continue  # a run's last, partial second is mostly shutdown
        lookups, hits = _cache_counts(snap.tags, header)
        whole = _nonzero(snap.latency)
        builders[(snap.stage, "")].add(snap.start_s, snap.due, snap.ok, lookups, hits, whole)
        for tag, (buckets, errors) in _single_tags(snap).items():
            done = int(buckets[1].sum())
            name, _, value = tag.partition("=")
            tag_lookups = done if name == header else 0
            tag_hits = tag_lookups if "HIT" in value.upper() else 0
            key = (snap.stage, tag)
            builders[key].add(snap.start_s, done, done - errors, tag_lookups, tag_hits, buckets)
    layout = new_histogram()
    return {key: b.build(key[0], key[1], layout) for key, b in builders.items()}


def _cache_counts(tags: Mapping[str, HdrHistogram], header: str) -> tuple[int, int]:
    if not header:
        return 0, 0
    lookups = hits = 0
    for key, hist in tags.items():
        value = parse_tag_key(key).get(header)
        if value is not None:
            lookups += hist.get_total_count()
            hits += hist.get_total_count() if "HIT" in value.upper() else 0
    return lookups, hits


Buckets = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _nonzero(hist: HdrHistogram) -> Buckets:
    counts = counts_view(hist)
    index = np.flatnonzero(counts).astype(np.int64)
    return index, counts[index].astype(np.int64)


def _single_tags(snap: IntervalSnapshot) -> dict[str, tuple[Buckets, int]]:
    """Per single ``name=value`` tag: the bucket counts of the combinations holding it, added,
    and their errors. Sparse (a second's answers fill a few hundred of 23,552 buckets): a long
    run has tens of tag combinations a second."""
    parts: dict[str, list[Buckets]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for key, hist in snap.tags.items():
        these = _nonzero(hist)
        for name, value in parse_tag_key(key).items():
            single = f"{name}={value}"
            parts[single].append(these)
            errors[single] += snap.tag_errors.get(key, 0)
    out = {}
    for single, pieces in parts.items():
        if len(pieces) == 1:
            out[single] = (pieces[0], errors[single])
            continue
        index, inverse = np.unique(np.concatenate([p[0] for p in pieces]), return_inverse=True)
        sums = np.bincount(inverse, weights=np.concatenate([p[1] for p in pieces]))
        out[single] = ((index.astype(np.int64), sums.astype(np.int64)), errors[single])
    return out
