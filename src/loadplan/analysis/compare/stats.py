"""Each compared figure, measured on a group's seconds and on block-bootstrap replicates of them.

A replicate draws a run's seconds again in blocks (``analysis/resample.py``), merges the drawn
seconds' HDR intervals exactly (a weighted sum of their bucket counts) and reads the figure off
the merged histogram, so a replicate's P99 is the P99 of a run that could have happened, not an
average of per-second P99s. The two runs are resampled independently: their difference's
interval is the spread of (new replicate - base replicate), its 2.5th to 97.5th percentiles.

Why a block bootstrap rather than a formula: a percentile of merged histograms has no simple
standard error, seconds are correlated (queues last), and the error rate and throughput get the
same treatment for free.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loadplan.analysis.compare.samples import GroupSeconds
from loadplan.analysis.resample import BLOCK_S, block_weights

REPLICATES = 400
SEED = 20261203
CONFIDENCE = 0.95


class Figure(enum.StrEnum):
    """What a row compares."""

    P50 = "p50"
    P95 = "p95"
    P99 = "p99"
    P999 = "p99.9"
    ERROR_RATE = "error_rate"
    THROUGHPUT = "throughput"
    CACHE_HIT_RATE = "cache_hit_rate"
    CPU_PER_REQUEST = "cpu_per_request"
    TARGET_HIT_RATE = "target_hit_rate"

    @property
    def percentile(self) -> float | None:
        return _PERCENTILES.get(self)

    @property
    def relative(self) -> bool:
        """Latency, throughput and CPU change by a share of the base; rates by points."""
        return self not in (Figure.ERROR_RATE, Figure.CACHE_HIT_RATE, Figure.TARGET_HIT_RATE)

    @property
    def higher_is_worse(self) -> bool:
        return self not in (Figure.THROUGHPUT, Figure.CACHE_HIT_RATE, Figure.TARGET_HIT_RATE)

    @property
    def scraped(self) -> bool:
        """Read from the target's scraped counters (``compare/scraped.py``), per stage only,
        rather than from the run's own seconds."""
        return self in (Figure.CPU_PER_REQUEST, Figure.TARGET_HIT_RATE)

    @property
    def min_count(self) -> int:
        """Answers needed before the figure says anything: a percentile wants ten values
        beyond it (P99: 1,000 answers), a rate a hundred events to be a rate of."""
        q = self.percentile
        return 100 if q is None else round(10 / (1 - q / 100))


_PERCENTILES = {Figure.P50: 50.0, Figure.P95: 95.0, Figure.P99: 99.0, Figure.P999: 99.9}
SECOND_FIGURES = tuple(f for f in Figure if not f.scraped)
"""The figures read off the run's own seconds, per stage and per tag."""


def figures_of(
    group: GroupSeconds, weights: npt.NDArray[np.int64]
) -> dict[Figure, npt.NDArray[np.float64]]:
    """Every figure for each row of ``weights`` (replicates x seconds): latency in ms, rates
    as fractions, throughput in completed requests per second. NaN where there is no data."""
    w = weights.astype(np.float64)
    seconds = w.sum(axis=1)
    completed = w @ group.completed
    ok = w @ group.ok
    lookups = w @ group.lookups
    hits = w @ group.hits
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            Figure.ERROR_RATE: np.where(completed > 0, 1 - ok / completed, np.nan),
            Figure.THROUGHPUT: np.where(seconds > 0, completed / seconds, np.nan),
            Figure.CACHE_HIT_RATE: np.where(lookups > 0, hits / lookups, np.nan),
        }
    merged = np.asarray(group.counts.T.dot(w.T).T) if group.counts.shape[1] else None
    for figure, q in _PERCENTILES.items():
        out[figure] = _percentile_ms(merged, group.value_us, q, len(w))
    return out


def _percentile_ms(
    merged: npt.NDArray[np.float64] | None, value_us: npt.NDArray[np.int64], q: float, rows: int
) -> npt.NDArray[np.float64]:
    """hdrh's rule: the highest value of the first bucket whose cumulative count reaches
    ``q`` % of the total (rounded half up, at least 1)."""
    if merged is None:
        return np.full(rows, np.nan)
    cumulative = np.cumsum(merged, axis=1)
    total = cumulative[:, -1]
    target = np.maximum(np.floor(q * total / 100 + 0.5), 1)
    index = np.minimum((cumulative < target[:, None]).sum(axis=1), len(value_us) - 1)
    return np.where(total > 0, value_us[index] / 1000, np.nan)


@dataclass(frozen=True, slots=True)
class Difference:
    """One figure of two runs, and how it changed.

    Attributes:
        figure: what is compared.
        base: the base run's value (ms, fraction or req/s); None without data.
        new: the new run's value.
        change: new / base - 1 for relative figures, new - base for rates; None without data.
        low: the lower end of the change's interval.
        high: its upper end.
        base_count: the base group's answers (or cache lookups, for the hit rate).
        new_count: the new group's.
    """

    figure: Figure
    base: float | None
    new: float | None
    change: float | None
    low: float | None
    high: float | None
    base_count: int
    new_count: int

    @property
    def worse(self) -> bool:
        """The interval lies wholly on the worse side of no change."""
        if self.low is None or self.high is None:
            return False
        return self.low > 0 if self.figure.higher_is_worse else self.high < 0

    @property
    def better(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.high < 0 if self.figure.higher_is_worse else self.low > 0


def differences(
    base: GroupSeconds, new: GroupSeconds, confidence: float = CONFIDENCE
) -> dict[Figure, Difference]:
    """Every figure of the seconds' (``SECOND_FIGURES``) change from ``base`` to ``new``, with
    its bootstrap interval."""
    rng = np.random.default_rng(SEED)
    b_point = figures_of(base, np.ones((1, base.seconds), dtype=np.int64))
    n_point = figures_of(new, np.ones((1, new.seconds), dtype=np.int64))
    b_reps = figures_of(base, block_weights(base.seconds, BLOCK_S, REPLICATES, rng))
    n_reps = figures_of(new, block_weights(new.seconds, BLOCK_S, REPLICATES, rng))
    return {
        figure: bootstrap_difference(
            figure,
            (b_point[figure], n_point[figure]),
            (b_reps[figure], n_reps[figure]),
            (_count(base, figure), _count(new, figure)),
            confidence,
        )
        for figure in SECOND_FIGURES
    }


Pair = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def bootstrap_difference(
    figure: Figure, points: Pair, replicates: Pair, counts: tuple[int, int], confidence: float
) -> Difference:
    """One figure's change and interval from its value in each run (``points``, one value
    each) and in each run's replicates (drawn independently, as many in both)."""
    tail = (1 - confidence) / 2 * 100
    b, n = float(points[0][0]), float(points[1][0])
    change = _change(figure, np.asarray([b]), np.asarray([n]))[0]
    spread = _change(figure, replicates[0], replicates[1])
    spread = spread[np.isfinite(spread)]
    low = high = None
    if np.isfinite(change) and len(spread) >= REPLICATES // 2:
        lo, hi = np.percentile(spread, [tail, 100 - tail])
        low, high = float(min(lo, change)), float(max(hi, change))
    return Difference(
        figure, _finite(b), _finite(n), _finite(float(change)), low, high, counts[0], counts[1]
    )


def _count(group: GroupSeconds, figure: Figure) -> int:
    if figure is Figure.CACHE_HIT_RATE:
        return int(group.lookups.sum())
    return int(group.completed.sum())


def _change(
    figure: Figure, base: npt.NDArray[np.float64], new: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        if figure.relative:
            out: npt.NDArray[np.float64] = np.where(base > 0, new / base - 1, np.nan)
            return out
        return new - base


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def noise_floor(values: Mapping[str, float | None], figure: Figure) -> float | None:
    """The spread of one figure over earlier runs of the same build (``--baseline``): the
    largest change between any two of them, in the figure's own unit of change. None when
    fewer than three runs have the figure."""
    have = [v for v in values.values() if v is not None]
    if len(have) < 3:
        return None
    low, high = min(have), max(have)
    if figure.relative:
        return high / low - 1 if low > 0 else None
    return high - low
