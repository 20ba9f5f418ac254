"""The generator's lateness as a confounder: when it moved between two runs, latency did too.

Latency is measured from each request's intended send time, so a generator that sent late (a
machine that took its CPU away: another tenant, the hypervisor) adds its schedule lag to every
latency it measures. Between two runs that is noise no bootstrap within a run can see: measured
on this project's shared VM, the A/A pairs that failed the gate were the ones where one run's
schedule lag P99 had gone from about 0.6 ms to 3 ms while the other's had not, and the target's
own service time had moved with it (docs/performance/regression-gate.md). So a latency row whose
percentile of schedule lag moved by at least ``LAG_SHARE`` of the threshold's worth of latency
is inconclusive: the machine, not the build, may explain it, and the gate says to run again
rather than fail a build or pass one on that pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

from loadplan.analysis.compare.gate import Threshold
from loadplan.analysis.compare.samples import WHOLE_SECOND_S
from loadplan.analysis.compare.stats import Difference
from loadplan.results.histogram import new_histogram
from loadplan.results.snapshot import IntervalSnapshot

LAG_SHARE = 0.5
"""A lag shift of this share of the threshold (in ms at the base's latency) blocks the row."""


def stage_lags(seconds: Iterable[IntervalSnapshot]) -> dict[str, HdrHistogram]:
    """Each stage label's schedule lag over its whole seconds (the seconds the rows use)."""
    out: dict[str, HdrHistogram] = defaultdict(new_histogram)
    for snap in seconds:
        if snap.end_s - snap.start_s >= WHOLE_SECOND_S:
            out[snap.stage].add(snap.lag)
    return dict(out)


def lag_moved(
    diff: Difference, threshold: Threshold, base_lag: HdrHistogram, new_lag: HdrHistogram
) -> str | None:
    """Why ``diff`` (a latency percentile) cannot be judged, or None: the same percentile of
    schedule lag moved by ``LAG_SHARE`` of the threshold's worth of the base's latency."""
    q = diff.figure.percentile
    if q is None or diff.base is None or not diff.figure.relative:
        return None
    if base_lag.get_total_count() == 0 or new_lag.get_total_count() == 0:
        return None
    before = base_lag.get_value_at_percentile(q) / 1000
    after = new_lag.get_value_at_percentile(q) / 1000
    allowed = LAG_SHARE * threshold.amount * diff.base
    if abs(after - before) < allowed:
        return None
    return (
        f"schedule lag P{q:g} {before:.2f} -> {after:.2f} ms, as much as "
        f"{LAG_SHARE:.0%} of the threshold ({allowed:.2f} ms): the machine delayed the generator "
        f"in one run; run both again"
    )
