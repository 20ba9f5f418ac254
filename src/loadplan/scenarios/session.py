"""A run with its stages, its side work and its verdict: what ``loadplan run`` and ``suite`` call.

``run_session`` wraps the coordinator (``runner.execute``) with what a staged run needs around
it: a ``StageBook`` sink filing seconds by stage, a ``BreakpointWatch`` that stops the run where
the target breaks, a ``Scraper`` reading the target's /metrics, a ``CacheFlusher`` for cold
stages. When the run ends it judges the plan's ``[slo]`` and rewrites summary.json with::

    "stages":         {label: per-stage summary (counts, percentiles, histograms, target metrics)}
    "breakpoint":     what the breakpoint stage found (last good step and its rate)
    "target_metrics": how scraping went, and the target's CPU, memory and restarts over the run
    "events":         cache flushes (after the coordinator's outages of the target)
    "verdict":        {"pass": bool | None, "inconclusive": [...], "rows": [...]}
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadplan.analysis.slo import Evidence, judge
from loadplan.engine.request import RequestSource
from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario
from loadplan.results.run import STAGE_KEYS
from loadplan.results.runlog import SUMMARY, write_json_atomic
from loadplan.results.stagebook import StageBook
from loadplan.results.target_metrics import TargetMetrics
from loadplan.scenarios.breakpoint import BreakpointWatch
from loadplan.scenarios.flush import CacheFlusher, FlushHook
from loadplan.scenarios.runner import Monitor, RunOutcome, Service, Sink, execute
from loadplan.sinks.scrape import TARGET_METRICS, Scraper
from loadplan.verdict import Verdict, decide


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """How a staged run ended.

    Attributes:
        run: the coordinator's outcome (run directory, stop reason).
        summary: summary.json as written, stages and verdict included.
        verdict: the SLA verdict; None when the plan has no [slo].
        scenario: the stages that were played.
    """

    run: RunOutcome
    summary: dict[str, Any]
    verdict: Verdict | None
    scenario: Scenario


def _absolute(base: str, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else urllib.parse.urljoin(base, url)


def run_session(
    plan: Plan,
    run_dir: Path,
    meta: dict[str, Any],
    sinks: Sequence[Sink] = (),
    source: RequestSource | None = None,
    on_start: Callable[[], None] | None = None,
    offsets_s: tuple[float, ...] | None = None,
) -> SessionOutcome:
    """Run ``plan`` stage by stage, then judge it; summary.json holds everything."""
    scenario = Scenario.from_plan(plan)
    slo = plan.slo
    book = StageBook(slo.drift_window if slo else 60.0)
    watch = BreakpointWatch(scenario.breakpoint, slo) if scenario.breakpoint and slo else None
    monitors: list[Monitor] = [watch] if watch else []
    services: list[Service] = []
    scraper = None
    if plan.scrape.urls:
        scrape = plan.scrape
        scraper = Scraper(
            [_absolute(plan.target.url, u) for u in scrape.urls],
            scrape.interval,
            scrape.timeout,
            scrape.series,
            out_path=run_dir / TARGET_METRICS,
            cache_names=(scrape.cache_hits, scrape.cache_misses),
        )
        services.append(scraper)
    cold = [(s.name, s.start_s) for s in scenario.stages if s.flush_cache]
    flusher = None
    if cold:
        admin = plan.admin
        hook = None
        if admin.cache_flush:
            url = _absolute(plan.target.url, admin.cache_flush)
            hook = FlushHook(url, admin.method, tuple(admin.headers.items()), admin.timeout)
        flusher = CacheFlusher(hook, cold)
        services.append(flusher)
    outcome = execute(
        plan,
        run_dir,
        meta,
        sinks=[*sinks, book],
        source=source,
        on_start=on_start,
        offsets_s=offsets_s,
        monitors=monitors,
        services=services,
    )
    book.finish()
    metrics = None
    if scraper is not None:
        metrics = TargetMetrics(
            tuple(scraper.rows), plan.scrape.cache_hits, plan.scrape.cache_misses
        )
    extra = [watch.result().row()] if watch else []
    extra += [event.row() for event in (flusher.events if flusher else [])]
    verdict = None
    if slo is not None:
        evidence = Evidence(
            scenario,
            book,
            metrics,
            lag_bound_ms=plan.generator.lag_bound * 1000,
            cache_header=plan.client.capture_header,
            extra_rows=tuple(extra),
        )
        verdict = judge(slo, evidence)
        if outcome.degraded is not None:
            verdict = decide(verdict.rows, (*verdict.inconclusive, outcome.degraded))
    summary = dict(outcome.summary)
    summary["stages"] = _stage_summaries(scenario, book, metrics, meta)
    if watch is not None:
        summary["breakpoint"] = watch.result().to_json()
    if scraper is not None and metrics is not None:
        summary["target_metrics"] = scraper.report() | metrics.describe(0.0, book_end(book))
    if flusher is not None:
        flushes = [event.to_json() for event in flusher.events]
        summary["events"] = [*summary.get("events", []), *flushes]
    summary["verdict"] = verdict.to_json() if verdict else None
    write_json_atomic(run_dir / SUMMARY, summary)
    return SessionOutcome(outcome, summary, verdict, scenario)


def book_end(book: StageBook) -> float:
    return max((row.end_s for row in book.seconds), default=0.0)


def _stage_summaries(
    scenario: Scenario, book: StageBook, metrics: TargetMetrics | None, meta: dict[str, Any]
) -> dict[str, Any]:
    spans = {}
    if scenario.profile is not None:
        spans = {seg.label: (start, end) for seg, start, end in scenario.profile.spans()}
    out: dict[str, Any] = {}
    for stage in scenario.stages:
        # A closed-loop run has users, not a planned rate.
        rates = stage.rates or ((None, None),) * len(stage.labels)
        for label, (rate_from, rate_to) in zip(stage.labels, rates, strict=True):
            start, end = spans.get(label, (stage.start_s, stage.end_s))
            entry: dict[str, Any] = {
                "stage": stage.name,
                "kind": stage.kind.value,
                "judged": stage.judged,
                "planned": {
                    "start_s": start,
                    "end_s": end,
                    "rate_from": rate_from,
                    "rate_to": rate_to,
                },
            }
            totals = book.totals.get(label)
            if totals is None:
                entry["ran"] = False
            else:
                full = totals.summary(meta, complete=True, stop_reason="")
                entry |= {"ran": True} | {k: full[k] for k in STAGE_KEYS}
            if metrics is not None:
                entry["target"] = metrics.describe(start, end)
            out[label] = entry
    return out
