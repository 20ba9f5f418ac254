"""The target's own figures per stage, from its scraped counters: CPU per request, cache hit rate.

The counters are read only when the run scraped them (every ``[scrape] interval``, 5 s by
default), so these rows are resampled **per scrape interval**, not per second: an interval is
what was measured, and spreading its increase over its seconds would invent per-second values
that are all alike and make the interval too narrow. Intervals are cut at the scrapes that fall
in the stage (within ``EDGE_S`` of its ends), so no interval mixes two stages' traffic; the
stage's seconds before its first scrape and after its last are left out of these rows.

Per interval: the target's CPU seconds and its cache hits and misses (counter increases, over
all endpoints, across restarts: ``TargetMetrics.increases``), and the stage's completed
requests in it (each whole second of the stage counted in proportion to its overlap). A
figure is a ratio of sums: CPU per request = CPU seconds / completed requests (in ms), hit rate
= hits / (hits + misses), on the stage's intervals for the point and on block-bootstrap
replicates of them for the interval (``analysis/resample.py``, the scheme of every other row,
in blocks of as many scrape intervals as make ``BLOCK_S`` seconds, at least one). A ratio of
sums rather than a mean of ratios: a scrape interval with few requests does not weigh as much
as a full one.

Example::

    metrics = run.target_metrics(hits="refservice_cache_hits_total", misses="...")
    iv = stage_intervals(metrics, group_seconds(run.seconds())[("sustained", "")])
    scraped_differences(iv_base, iv_new)[Figure.CPU_PER_REQUEST].change   # +0.3: 30 % more
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loadplan.analysis.compare.samples import GroupSeconds
from loadplan.analysis.compare.stats import (
    CONFIDENCE,
    REPLICATES,
    SEED,
    Difference,
    Figure,
    bootstrap_difference,
)
from loadplan.analysis.resample import BLOCK_S, block_weights
from loadplan.results.target_metrics import CPU, TargetMetrics

MIN_INTERVALS = 4
"""Scrape intervals each run needs in a stage: fewer give a bootstrap of a handful of distinct
replicates, no interval worth the name."""
EDGE_S = 0.5
"""How far outside a stage's seconds a scrape may fall and still cut it: scrapes are due on
the run's clock, like the stage boundaries, and land a few milliseconds late."""

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ScrapeIntervals:
    """One stage's scrape intervals.

    Attributes:
        label: the stage label.
        start_s: each interval's first scrape, seconds from the run's start.
        end_s: its last scrape.
        completed: the stage's requests completed in each interval.
        cpu_s: the target's CPU seconds in each; None when the run's scrapes have no CPU.
        hits: its cache hits in each; None without the hit and miss counters.
        misses: its cache misses in each; None without them.
    """

    label: str
    start_s: Floats
    end_s: Floats
    completed: Floats
    cpu_s: Floats | None
    hits: Floats | None
    misses: Floats | None

    @property
    def count(self) -> int:
        return len(self.start_s)

    @property
    def seconds(self) -> float:
        """The seconds the intervals cover."""
        return float((self.end_s - self.start_s).sum())


def available(metrics: TargetMetrics | None) -> dict[Figure, str]:
    """Each scraped figure and, when the run cannot give it, why not (``""`` when it can)."""
    if metrics is None:
        why = "no target_metrics.jsonl (the run scraped nothing)"
        return {Figure.CPU_PER_REQUEST: why, Figure.TARGET_HIT_RATE: why}
    up = [row for row in metrics.rows if row.get("up")]
    if not up:
        why = "no scrape of the target answered"
        return {Figure.CPU_PER_REQUEST: why, Figure.TARGET_HIT_RATE: why}
    out = {Figure.CPU_PER_REQUEST: "" if _has(up, CPU) else f"no {CPU} scraped"}
    if not (metrics.hits and metrics.misses):
        out[Figure.TARGET_HIT_RATE] = "no cache counters named ([scrape] cache_hits, cache_misses)"
    else:
        missing = [n for n in (metrics.hits, metrics.misses) if not _has(up, n)]
        out[Figure.TARGET_HIT_RATE] = f"no {' or '.join(missing)} scraped" if missing else ""
    return out


def _has(rows: Sequence[Mapping[str, Any]], name: str) -> bool:
    return any(name in r for r in rows)


def stage_intervals(metrics: TargetMetrics, group: GroupSeconds) -> ScrapeIntervals:
    """The scrape intervals inside the stage of ``group`` (a whole-stage group, tag ``""``)."""
    order = np.argsort(group.start_s, kind="stable")
    starts = group.start_s[order]
    first, last = (float(starts[0]), float(starts[-1]) + 1) if len(starts) else (0.0, 0.0)
    cuts = metrics.scrape_times(first - EDGE_S, last + EDGE_S) if len(starts) else ()
    empty = np.zeros(0, dtype=np.float64)
    if len(cuts) < 2:
        return ScrapeIntervals(group.label, empty, empty, empty, None, None, None)
    # Completed requests as a function of time: flat between seconds, linear inside each.
    done = group.completed[order].astype(np.float64)
    before = np.concatenate([[0.0], np.cumsum(done)])
    times = np.column_stack([starts, starts + 1]).ravel()
    counts = np.column_stack([before[:-1], before[1:]]).ravel()
    at = np.interp(np.asarray(cuts, dtype=np.float64), times, counts)

    def read(name: str) -> Floats | None:
        values = metrics.increases(name, cuts) if name else None
        return None if values is None else np.asarray(values, dtype=np.float64)

    hits, misses = read(metrics.hits), read(metrics.misses)
    if hits is None or misses is None:
        hits = misses = None
    return ScrapeIntervals(
        label=group.label,
        start_s=np.asarray(cuts[:-1], dtype=np.float64),
        end_s=np.asarray(cuts[1:], dtype=np.float64),
        completed=np.diff(at),
        cpu_s=read(CPU),
        hits=hits,
        misses=misses,
    )


def replicate_figures(
    intervals: ScrapeIntervals, weights: npt.NDArray[np.int64]
) -> dict[Figure, Floats]:
    """The scraped figures for each row of ``weights`` (replicates x intervals): CPU per
    request in ms, the hit rate as a fraction; NaN where there is no data. A figure the run
    lacks is absent."""
    w = weights.astype(np.float64)
    completed = w @ intervals.completed
    out: dict[Figure, Floats] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if intervals.cpu_s is not None:
            cpu_ms = 1000 * (w @ intervals.cpu_s)
            out[Figure.CPU_PER_REQUEST] = np.where(completed > 0, cpu_ms / completed, np.nan)
        if intervals.hits is not None and intervals.misses is not None:
            hits = w @ intervals.hits
            lookups = hits + w @ intervals.misses
            out[Figure.TARGET_HIT_RATE] = np.where(lookups > 0, hits / lookups, np.nan)
    return out


def point_figures(intervals: ScrapeIntervals) -> dict[Figure, float | None]:
    """The scraped figures over all of the stage's intervals (what ``--baseline`` spreads)."""
    point = replicate_figures(intervals, np.ones((1, intervals.count), dtype=np.int64))
    return {f: (float(v[0]) if np.isfinite(v[0]) else None) for f, v in point.items()}


def block_of(intervals: ScrapeIntervals) -> int:
    """Scrape intervals per bootstrap block: as many as make ``BLOCK_S`` seconds."""
    if intervals.count == 0:
        return 1
    typical = float(np.median(intervals.end_s - intervals.start_s))
    return max(1, math.ceil(BLOCK_S / typical - 1e-9)) if typical > 0 else 1


def scraped_differences(
    base: ScrapeIntervals, new: ScrapeIntervals, confidence: float = CONFIDENCE
) -> dict[Figure, Difference]:
    """Each scraped figure both stages have, its change from ``base`` to ``new`` and its
    bootstrap interval."""
    rng = np.random.default_rng(SEED)
    b_point = replicate_figures(base, np.ones((1, base.count), dtype=np.int64))
    n_point = replicate_figures(new, np.ones((1, new.count), dtype=np.int64))
    b_reps = replicate_figures(base, block_weights(base.count, block_of(base), REPLICATES, rng))
    n_reps = replicate_figures(new, block_weights(new.count, block_of(new), REPLICATES, rng))
    out: dict[Figure, Difference] = {}
    for figure in (Figure.CPU_PER_REQUEST, Figure.TARGET_HIT_RATE):
        if figure not in b_point or figure not in n_point:
            continue
        out[figure] = bootstrap_difference(
            figure,
            (b_point[figure], n_point[figure]),
            (b_reps[figure], n_reps[figure]),
            (_count(base, figure), _count(new, figure)),
            confidence,
        )
    return out


def _count(intervals: ScrapeIntervals, figure: Figure) -> int:
    """Completed requests (CPU per request) or cache lookups (hit rate) in the intervals."""
    if figure is Figure.TARGET_HIT_RATE:
        if intervals.hits is None or intervals.misses is None:
            return 0
        return round(float(intervals.hits.sum() + intervals.misses.sum()))
    return round(float(intervals.completed.sum()))
