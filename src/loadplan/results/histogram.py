"""HdrHistograms for latency: the one shape every worker, file and report agrees on.

Values are microseconds, 1 µs to 1 h, 3 significant digits. Values outside that range are clamped
to it and counted (``clamped``), never dropped silently.

``record_many`` exists because ``HdrHistogram.record_value`` costs about 2.7 µs per call in pure
Python (measured: 200k calls on this machine), which at 50k requests/s across the total,
service-time and per-tag histograms would eat half a core. The engine buffers each second's
values in flat arrays and records them here with one numpy pass that computes the same counts
index hdrh's ``_counts_index_for`` does, adding into hdrh's own counts array in place.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    """An empty histogram, freed as soon as the last reference to it goes.

    hdrh's encoder points back at its histogram, a reference cycle: every histogram (184 KB of
    counts) then waits for a full cyclic collection to be freed. The coordinator makes about 35
    a second and keeps none, and the full collections came seldom enough that its RSS grew by
    120 MB in 8 minutes at 20,000 req/s with 30 tags (measured). A weak back-reference breaks
    the cycle; the encoder only uses it while the histogram is alive.
    """
    hist = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    hist.encoder.histogram = weakref.proxy(hist)
    return hist


def counts_view(hist: HdrHistogram) -> npt.NDArray[np.uint64]:
    """hdrh's counts array as a numpy array sharing its memory."""
    return np.ctypeslib.as_array(hist.counts)


def record_many(hist: HdrHistogram, values_us: npt.ArrayLike) -> int:
    """Record every value (µs) into ``hist``; return how many had to be clamped into range."""
    values = np.asarray(values_us, dtype=np.int64)
    if values.size == 0:
        return 0
    clamped = int(np.count_nonzero((values < LOWEST_US) | (values > HIGHEST_US)))
    values = np.clip(values, LOWEST_US, HIGHEST_US)
    # Same arithmetic as hdrh: bucket = bitlen(v | sub_bucket_mask) - unit_mag - (half_mag + 1),
    # sub_bucket = v >> (bucket + unit_mag), index = ((bucket + 1) << half_mag) + sub - half_count.
    masked = values | hist.sub_bucket_mask
    bitlen = np.frexp(masked.astype(np.float64))[1].astype(np.int64)
    bucket = bitlen - hist.unit_magnitude - (hist.sub_bucket_half_count_magnitude + 1)
    sub = values >> (bucket + hist.unit_magnitude)
    index = (
        ((bucket + 1) << hist.sub_bucket_half_count_magnitude) + sub - hist.sub_bucket_half_count
    )
    # A bincount over the span of buckets the values occupy (a second's latencies fill a few
    # thousand of the 23,552), added into that span: one path for any count. Over every bucket
    # it took 0.9-1.2 ms for a second of 20,000 values, 0.25-0.4 ms so; for one tag's few
    # hundred values it is 10-20 % quicker than counting through np.unique's sort.
    first, last = int(index.min()), int(index.max())
    span = np.bincount(index - first, minlength=last - first + 1)
    counts_view(hist)[first : last + 1] += span.astype(np.uint64)
    hist.total_count += int(values.size)
    lo, hi = int(values.min()), int(values.max())
    hist.min_value = min(hist.min_value, lo) if hist.total_count > values.size else lo
    hist.max_value = max(hist.max_value, hi)
    return clamped


def merged(hists: list[HdrHistogram]) -> HdrHistogram:
    """A new histogram holding the sum of all counts (exact: merging adds bucket counts)."""
    out = new_histogram()
    for h in hists:
        if h.get_total_count():
            out.add(h)
    return out


def encode(hist: HdrHistogram) -> str:
    """The standard compressed, base64 form (as in .hlog files)."""
    payload: bytes = hist.encode()
    return payload.decode("ascii")


def decode(payload: str) -> HdrHistogram:
    hist = new_histogram()
    if payload:
        # hdrh's decode_and_add, without leaving the decoded copy in a reference cycle.
        other = HdrHistogram.decode(payload, hist.b64_wrap)
        hist.add(other)
        other.encoder.histogram = None
    return hist


def percentiles_ms(
    hist: HdrHistogram, quantiles: tuple[float, ...] = (50, 95, 99)
) -> dict[str, float]:
    """P50/P95/P99/max in milliseconds, for summaries. Empty histograms give an empty dict."""
    total = hist.get_total_count()
    if total == 0:
        return {}
    # numpy, not hdrh's per-bucket Python walks (about 2 ms per percentile and far more for the
    # mean): the coordinator calls this for every tag combination every second.
    values = values_at_percentiles(hist, quantiles)
    out = {f"p{q:g}": int(v) / 1000 for q, v in zip(quantiles, values, strict=True)}
    out["max"] = hist.get_max_value() / 1000
    out["mean"] = round(total_us(hist) / total / 1000, 3)
    return out


@dataclass(frozen=True, slots=True)
class _Layout:
    """What each counts index of a histogram layout stands for, as read-only numpy arrays.

    Every histogram here has the same layout, so this is computed once (``_layout``): rebuilt
    per call, it was most of the 2 ms a percentile summary took, and the coordinator summarizes
    every tag combination every second (30 tags: 60 ms a second at 20,000 req/s).

    Attributes:
        lowest: lowest value of each index (hdrh's ``get_value_from_index``).
        highest: highest equivalent value of each index.
        middle: the value hdrh takes for each index when it computes a mean.
    """

    lowest: npt.NDArray[np.int64]
    highest: npt.NDArray[np.int64]
    middle: npt.NDArray[np.int64]


@functools.lru_cache(maxsize=8)
def _layout_of(counts_len: int, half_mag: int, half_count: int, unit_magnitude: int) -> _Layout:
    index = np.arange(counts_len, dtype=np.int64)
    bucket = (index >> half_mag) - 1
    sub = (index & (half_count - 1)) + half_count
    first = bucket < 0
    sub[first] -= half_count
    bucket[first] = 0
    lowest = sub << (bucket + unit_magnitude)
    highest = lowest + (np.int64(1) << (bucket + unit_magnitude)) - 1
    middle = lowest + (highest - lowest + 1) // 2
    for array_ in (lowest, highest, middle):
        array_.flags.writeable = False
    return _Layout(lowest, highest, middle)


def _layout(hist: HdrHistogram) -> _Layout:
    """Computed with numpy for all indices at once; the same arithmetic as hdrh's
    ``get_value_from_index`` and ``get_highest_equivalent_value``."""
    return _layout_of(
        hist.counts_len,
        hist.sub_bucket_half_count_magnitude,
        hist.sub_bucket_half_count,
        hist.unit_magnitude,
    )


def values_at_percentiles(hist: HdrHistogram, percentiles: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Values (µs) at many percentiles in one numpy pass; same answers as hdrh's
    ``get_value_at_percentile``, which walks all 23,552 buckets in Python for every percentile
    (about 2 ms each: too slow for a spectrum of hundreds of points over many stages).
    Empty histograms give zeros.
    """
    pct = np.clip(np.asarray(percentiles, dtype=np.float64), 0.0, 100.0)
    total = hist.get_total_count()
    if total == 0:
        return np.zeros(pct.shape, dtype=np.int64)
    cumulative = np.cumsum(counts_view(hist), dtype=np.int64)
    target = np.maximum((pct * total / 100 + 0.5).astype(np.int64), 1)
    index = np.minimum(np.searchsorted(cumulative, target, side="left"), hist.counts_len - 1)
    layout = _layout(hist)
    values: npt.NDArray[np.int64] = np.where(pct > 0, layout.highest[index], layout.lowest[index])
    return values


def counts_at_or_below(hist: HdrHistogram, bounds_us: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """For each bound, how many recorded values are <= it (cumulative, as Prometheus ``le``).

    Exact at the histogram's resolution: a value in the same bucket as the bound (within 0.1 %
    of it) counts as equal to it, which is how hdrh's ``get_count_at_value`` sees it too.
    """
    bounds = np.clip(np.asarray(bounds_us, dtype=np.int64), LOWEST_US, HIGHEST_US)
    if hist.get_total_count() == 0:
        return np.zeros(bounds.shape, dtype=np.int64)
    cumulative = np.cumsum(counts_view(hist), dtype=np.int64)
    # The counts index of each bound, by the arithmetic record_many uses.
    masked = bounds | hist.sub_bucket_mask
    bitlen = np.frexp(masked.astype(np.float64))[1].astype(np.int64)
    bucket = bitlen - hist.unit_magnitude - (hist.sub_bucket_half_count_magnitude + 1)
    sub = bounds >> (bucket + hist.unit_magnitude)
    index = (
        ((bucket + 1) << hist.sub_bucket_half_count_magnitude) + sub - hist.sub_bucket_half_count
    )
    below: npt.NDArray[np.int64] = cumulative[np.minimum(index, hist.counts_len - 1)]
    return below


def total_us(hist: HdrHistogram) -> int:
    """Sum of all recorded values (µs), each taken at the middle of its bucket, as hdrh's mean."""
    if hist.get_total_count() == 0:
        return 0
    return int(np.dot(counts_view(hist).astype(np.int64), _layout(hist).middle))
