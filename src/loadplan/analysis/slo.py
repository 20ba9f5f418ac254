"""SLA verdicts: the plan's objectives checked per stage and over the run, as a table of rows.

Rules:

* Judged stages (constant, ramp, step, soak by default) get a row per latency bound, the error
  rate and the throughput (completed / offered); the ``run`` rows cover all judged stages.
* A soak stage is also fitted for drift: the P95 of each ``drift_window``, a least-squares line
  through them, and the rise that line predicts over the stage (``max_drift``).
* The cache floor is judged on steady, warm stages: judged constant, step and soak stages that do
  not begin with a cache flush, leaving out the run's first stage (it warms the cache) unless it
  is the only one. Ramps, the first stage and flushed stages get their hit rate reported.
* A spike stage gets its error rate and its recovery time: seconds from the spike's end until
  the P95 of each second is back under its bound for ``settle`` seconds.
* No data is a failure, never a pass. A generator that could not keep up over the judged
  stages (schedule-lag P99 over ``[generator] lag_bound``, or its CPU saturated), or a target
  refusing every connection for 3 seconds, makes the verdict inconclusive: then the numbers do
  not describe the target.

Example::

    verdict = judge(plan.slo, Evidence(scenario, book))
    verdict.passed, verdict.exit_code     # (False, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from loadplan.plan.scenario import Scenario, StagePlan
from loadplan.plan.slo import PERCENTILES, SloSpec
from loadplan.plan.stages import StageKind
from loadplan.results.events import CACHE_FLUSH, RunEvent
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import parse_tag_key
from loadplan.results.stagebook import SecondRow, StageBook, WindowP95
from loadplan.results.target_metrics import TargetMetrics
from loadplan.verdict import NO_DATA, Verdict, VerdictRow, decide

UNREACHABLE_SECONDS = 3
MIN_DRIFT_WINDOWS = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a verdict reads.

    Attributes:
        scenario: the run's stages.
        book: per-stage totals, seconds and drift windows.
        metrics: the target's scraped metrics, None when no endpoint was configured.
        lag_bound_ms: schedule-lag P99 above which the generator is the bottleneck.
        cache_header: response header tag to count cache hits from when metrics have none.
        extra_rows: rows other parts contribute (breakpoint, cache flushes).
    """

    scenario: Scenario
    book: StageBook
    metrics: TargetMetrics | None = None
    lag_bound_ms: float = 10.0
    cache_header: str = ""
    extra_rows: tuple[VerdictRow, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class HitRate:
    """A cache hit rate and where it was read.

    Attributes:
        rate: hits / lookups, None when nothing was measured.
        source: "target metrics", "<header> header", or "" when nothing was measured.
    """

    rate: float | None
    source: str


def warm_stages(stages: Sequence[StagePlan]) -> list[StagePlan]:
    """The steady, warm stages the cache floor is judged on (see the module's rules)."""
    judged = [s for s in stages if s.judged]
    warm = [s for s in judged if not s.flush_cache and s.kind is not StageKind.RAMP]
    if len(judged) > 1 and warm and warm[0] is stages[0]:
        warm = warm[1:]
    return warm


def warm_hit_rate(evidence: Evidence) -> HitRate:
    """The cache hit rate over the warm stages together: what the run-wide floor is judged on."""
    warm = warm_stages(evidence.scenario.stages)
    if not warm:
        return HitRate(None, "")
    totals = evidence.book.totals_of(label for s in warm for label in s.labels)
    return HitRate(*_hit_rate(evidence, warm, totals))


def judge(slo: SloSpec, evidence: Evidence) -> Verdict:
    """Check every objective of ``slo`` against the run in ``evidence``."""
    book, stages = evidence.book, evidence.scenario.stages
    rows: list[VerdictRow] = []
    inconclusive: list[str] = []
    judged = [s for s in stages if s.judged]
    warm = warm_stages(stages)
    for stage in stages:
        totals = book.totals_of(stage.labels)
        if stage.judged:
            rows += _stage_rows(slo, stage.name, totals)
        if slo.cache_hit_rate is not None and (stage.judged or stage.flush_cache):
            rate, where = _hit_rate(evidence, [stage], totals)
            rows.append(_cache_row(stage, rate, where, slo.cache_hit_rate, stage in warm))
        if stage.kind is StageKind.SOAK and stage.judged and slo.max_drift is not None:
            windows = book.windows.get(stage.labels[0], [])
            rows.append(_drift_row(stage, windows, slo.max_drift * 1000, slo.drift_window))
        if stage.kind is StageKind.SPIKE:
            rows += _spike_rows(slo, stage, book)
    rows += evidence.extra_rows
    if judged:
        totals = book.totals_of(label for s in judged for label in s.labels)
        rows += _stage_rows(slo, "run", totals)
        # Over the judged seconds together: one late second in a short stage is not a lagging
        # generator, and a breakpoint that outruns it does not taint the stages before it.
        health = totals.health(evidence.lag_bound_ms)
        if health.bound:
            inconclusive.append(f"generator-bound in judged stages: {'; '.join(health.reasons)}")
        if slo.cache_hit_rate is not None and warm:
            cache = warm_hit_rate(evidence)
            rows.append(_cache_row(None, cache.rate, cache.source, slo.cache_hit_rate, True))
    if evidence.metrics is not None:
        rows.append(_restart_row(evidence.metrics))
    watched = [label for s in stages if s.judged or s.kind is StageKind.SPIKE for label in s.labels]
    lost = unreachable_from(book.seconds_of(watched))
    if lost is not None:
        inconclusive.append(f"target unreachable from t={lost:g}s (every connection refused)")
    # Stage by stage in run order (contributed rows beside their stage), the run last.
    order = {s.name: i for i, s in enumerate(stages)} | {"run": len(stages)}
    rows.sort(key=lambda row: order.get(row.stage, len(stages)))
    return decide(rows, inconclusive)


def event_row(event: RunEvent) -> VerdictRow:
    """A run's event as a reported verdict line (a cache flush made, or not)."""
    if event.kind == CACHE_FLUSH:
        measured = ("flushed: " if event.ok else "not flushed: ") + event.detail
        return VerdictRow("cache flush", event.stage, "reported", measured[:120], None)
    measured = ("" if event.t_s is None else f"t={event.t_s:g}s: ") + event.detail
    return VerdictRow(event.kind, event.stage or "run", "reported", measured[:120], None)


def second_failures(row: SecondRow, slo: SloSpec) -> list[str]:
    """Why one second breaks the SLA (empty if it holds): what a breakpoint stage stops on."""
    if row.due == 0 and row.completed == 0:
        return []
    if row.completed == 0:
        return ["no answers"]
    out = []
    for name, bound in slo.latency_bounds().items():
        value = row.latency_ms.get(name)
        if value is None or value > bound:
            out.append(f"{name} {_ms(value)} > {_bound(bound)}")
    failed = row.completed - row.ok
    if slo.error_rate is not None and failed / row.completed > slo.error_rate:
        out.append(f"errors {failed / row.completed:.2%} > {slo.error_rate:.2%}")
    return out


def drift_ms(windows: Sequence[WindowP95], stage_s: float) -> float:
    """The P95 rise a least-squares line through the windows predicts over ``stage_s``."""
    t = np.array([w.start_s + w.length_s / 2 for w in windows])
    p95 = np.array([w.p95_ms for w in windows])
    slope = float(np.polyfit(t, p95, 1)[0])
    return slope * stage_s


def recovery_s(
    seconds: Sequence[SecondRow], spike_end_s: float, name: str, bound_ms: float, settle: int
) -> float | None:
    """Seconds from ``spike_end_s`` to the first second that starts ``settle`` seconds in a row
    with percentile ``name`` at or under ``bound_ms``; None if that never happens. A second with
    no answers is not under the bound (a stalled target has not recovered)."""
    rows = sorted((r for r in seconds if r.full and r.start_s >= spike_end_s - 1e-6), key=_index)

    def under(row: SecondRow) -> bool:
        value = row.latency_ms.get(name)
        return value is not None and value <= bound_ms

    for i, row in enumerate(rows):
        run = rows[i : i + settle]
        if all(under(r) for r in run):
            return max(row.start_s - spike_end_s, 0.0)
    return None


def unreachable_from(
    seconds: Sequence[SecondRow], streak: int = UNREACHABLE_SECONDS
) -> float | None:
    """Start of the first ``streak`` seconds in a row in which every request was refused."""
    count, first = 0, 0.0
    for row in sorted(seconds, key=_index):
        if row.completed and row.refused == row.completed:
            count += 1
            first = row.start_s if count == 1 else first
            if count >= streak:
                return first
        else:
            count = 0
    return None


def _index(row: SecondRow) -> int:
    return row.index


def _ms(value: float | None) -> str:
    if value is None:
        return NO_DATA
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _bound(value: float) -> str:
    return f"{value:g} ms" if value < 1000 else f"{value / 1000:g} s"


def _stage_rows(slo: SloSpec, stage: str, totals: RunTotals) -> list[VerdictRow]:
    rows = []
    hist = totals.latency
    for name, bound in slo.latency_bounds().items():
        value = hist.get_value_at_percentile(PERCENTILES[name]) / 1000 if hist.total_count else None
        rows.append(
            VerdictRow(
                f"{name} latency",
                stage,
                f"<= {_bound(bound)}",
                _ms(value),
                value is not None and value <= bound,
                value,
                bound,
            )
        )
    completed, due = totals.counts["completed"], totals.counts["due"]
    failed = completed - totals.errors.get("ok", 0)
    if slo.error_rate is not None:
        rate = failed / completed if completed else None
        measured = f"{rate:.3%} ({failed} of {completed})" if rate is not None else NO_DATA
        ok = rate is not None and rate <= slo.error_rate
        rows.append(
            VerdictRow(
                "error rate", stage, f"<= {slo.error_rate:.3%}", measured, ok, rate, slo.error_rate
            )
        )
    if slo.throughput is not None:
        share = completed / due if due else None
        measured = f"{share:.2%} ({completed} of {due})" if share is not None else NO_DATA
        ok = share is not None and share >= slo.throughput
        floor = f">= {slo.throughput:.0%} of offered"
        rows.append(VerdictRow("throughput", stage, floor, measured, ok, share, slo.throughput))
    return rows


def _hit_rate(
    evidence: Evidence, stages: Sequence[StagePlan], totals: RunTotals
) -> tuple[float | None, str]:
    """Cache hit rate from the target's counters, else from the captured response header."""
    metrics = evidence.metrics
    if metrics is not None:
        hits = misses = 0.0
        for s in stages:
            h = metrics.increase(metrics.hits, s.start_s, s.end_s) if metrics.hits else None
            m = metrics.increase(metrics.misses, s.start_s, s.end_s) if metrics.misses else None
            if h is not None and m is not None:
                hits, misses = hits + h, misses + m
        if hits + misses > 0:
            return hits / (hits + misses), "target metrics"
    header = evidence.cache_header.lower()
    if header:
        lookups = hits_seen = 0
        for key, hist in totals.tags.items():
            value = parse_tag_key(key).get(header)
            if value is not None:
                lookups += hist.get_total_count()
                hits_seen += hist.get_total_count() if "HIT" in value.upper() else 0
        if lookups:
            return hits_seen / lookups, f"{evidence.cache_header} header"
    return None, ""


def _cache_row(
    stage: StagePlan | None, rate: float | None, where: str, floor: float, judged: bool
) -> VerdictRow:
    """The floor on a warm stage (or the run, ``stage`` None); elsewhere the rate, reported."""
    name = stage.name if stage is not None else "run"
    measured = f"{rate:.1%} ({where})" if rate is not None else NO_DATA
    if not judged:
        why = "after flush" if stage is not None and stage.flush_cache else "warming"
        return VerdictRow(f"cache hit rate ({why})", name, "reported", measured, None, rate)
    ok = rate is not None and rate >= floor
    return VerdictRow("cache hit rate", name, f">= {floor:.0%}", measured, ok, rate, floor)


def _drift_row(
    stage: StagePlan, windows: Sequence[WindowP95], max_ms: float, window_s: float
) -> VerdictRow:
    bound = f"<= {_bound(max_ms)} rise"
    if len(windows) < MIN_DRIFT_WINDOWS:
        measured = f"{len(windows)} windows of {window_s:g}s (need {MIN_DRIFT_WINDOWS})"
        ok = None if windows else False
        return VerdictRow("p95 drift", stage.name, bound, measured if windows else NO_DATA, ok)
    rise = drift_ms(windows, stage.duration_s)
    measured = f"{rise:+.1f} ms over {len(windows)} windows"
    return VerdictRow("p95 drift", stage.name, bound, measured, rise <= max_ms, rise, max_ms)


def _spike_rows(slo: SloSpec, stage: StagePlan, book: StageBook) -> list[VerdictRow]:
    totals = book.totals_of(stage.labels)
    completed = totals.counts["completed"]
    failed = completed - totals.errors.get("ok", 0)
    rate = failed / completed if completed else None
    measured = f"{rate:.3%} ({failed} of {completed})" if rate is not None else NO_DATA
    if slo.error_rate is None:
        rows = [VerdictRow("errors during spike", stage.name, "reported", measured, None, rate)]
    else:
        ok = rate is not None and rate <= slo.error_rate
        bound = f"<= {slo.error_rate:.3%}"
        rows = [VerdictRow("errors during spike", stage.name, bound, measured, ok, rate)]
    target = slo.recovery_bound()
    if target is None or stage.spike_end_s is None:
        rows.append(VerdictRow("recovery time", stage.name, "no latency bound", "-", None))
        return rows
    name, bound_ms = target
    limit = slo.recovery if slo.recovery is not None else stage.end_s - stage.spike_end_s
    seconds = book.seconds_of(stage.labels[1:])
    took = recovery_s(seconds, stage.spike_end_s, name, bound_ms, slo.settle)
    window = stage.end_s - stage.spike_end_s
    measured = f"{took:g} s" if took is not None else f"not back within {window:g} s"
    bound = f"{name} <= {_bound(bound_ms)} within {limit:g} s"
    ok = took is not None and took <= limit
    rows.append(VerdictRow("recovery time", stage.name, bound, measured, ok, took, limit))
    return rows


def _restart_row(metrics: TargetMetrics) -> VerdictRow:
    if not metrics.scraped:
        return VerdictRow("target restarts", "run", "= 0", NO_DATA + " (no scrape answered)", False)
    restarts = metrics.restarts()
    measured = str(len(restarts)) + (
        " (at " + ", ".join(f"t={t:g}s" for _, t in restarts) + ")" if restarts else ""
    )
    return VerdictRow("target restarts", "run", "= 0", measured, not restarts, len(restarts), 0)
