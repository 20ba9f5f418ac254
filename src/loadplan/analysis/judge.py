"""A run judged from its directory: the verdict, the breakpoint, and the per-stage summaries.

``judge_run`` is what both ``loadplan run``/``suite`` (after the workers stop) and ``loadplan
judge RUN_DIR`` call, so a run judged again later gets the verdict it printed, and a killed run
gets one from what it kept. It reads a ``RunResult`` and the plan, nothing else: the seconds
are replayed into a ``StageBook``, the breakpoint is found again on them with the same rule
that stopped the run, and the events (cache flushes) come from events.jsonl.

Example::

    judgement = judge_run(RunResult.load(run_dir))
    judgement.verdict.exit_code        # 0, 1 or 3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loadplan.analysis.breakpoint import BreakpointFinder, BreakpointResult
from loadplan.analysis.slo import Evidence, HitRate, event_row, judge, warm_hit_rate
from loadplan.errors import RunDirError
from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario
from loadplan.results.events import RunEvent
from loadplan.results.result import RunResult
from loadplan.results.run import STAGE_KEYS
from loadplan.results.stagebook import StageBook
from loadplan.results.target_metrics import TargetMetrics
from loadplan.verdict import Verdict


@dataclass(frozen=True, slots=True)
class Judgement:
    """Everything judged about one run.

    Attributes:
        plan: the plan it was judged against.
        scenario: the plan's stages.
        book: the run's seconds filed by stage.
        metrics: the target's scraped metrics, None when there were none.
        breakpoint: what the breakpoint stage found, None without one (or without [slo]).
        events: the run's events (cache flushes).
        verdict: the SLA verdict, None when the plan has no [slo].
        cache: the hit rate over the warm stages (what the cache floor is judged on).
    """

    plan: Plan
    scenario: Scenario
    book: StageBook
    metrics: TargetMetrics | None
    breakpoint: BreakpointResult | None
    events: tuple[RunEvent, ...]
    verdict: Verdict | None
    cache: HitRate

    def summary_parts(self, meta: dict[str, Any]) -> dict[str, Any]:
        """The keys a staged run adds to summary.json: stages, breakpoint, target metrics,
        events and the verdict."""
        parts: dict[str, Any] = {"stages": stage_summaries(self, meta)}
        if self.breakpoint is not None:
            parts["breakpoint"] = self.breakpoint.to_json()
        if self.metrics is not None:
            end = max((row.end_s for row in self.book.seconds), default=0.0)
            parts["target_metrics"] = self.metrics.scrape_report(
                self.plan.scrape.interval
            ) | self.metrics.describe(0.0, end)
        if self.events:
            parts["events"] = [event.to_json() for event in self.events]
        parts["verdict"] = self.verdict.to_json() if self.verdict else None
        return parts


def judge_run(result: RunResult, plan: Plan | None = None) -> Judgement:
    """Judge ``result`` against ``plan`` (default: the plan it ran, from its meta.json)."""
    plan = plan or result.plan
    if plan is None:
        msg = (
            f"{result.run_dir}: meta.json holds no plan this loadplan can read; "
            "pass the plan it ran with --plan PLAN.toml"
        )
        raise RunDirError(msg)
    scenario = Scenario.from_plan(plan)
    slo = plan.slo
    book = result.stage_book(slo.drift_window if slo else 60.0)
    metrics = None
    if plan.scrape.urls:
        metrics = result.target_metrics(plan.scrape.cache_hits, plan.scrape.cache_misses)
    found = None
    if scenario.breakpoint is not None and slo is not None:
        finder = BreakpointFinder(scenario.breakpoint, slo)
        for row in book.seconds:
            if finder.check(row):
                break
        found = finder.result()
    events = result.events
    extra = [found.row()] if found else []
    extra += [event_row(event) for event in events]
    evidence = Evidence(
        scenario,
        book,
        metrics,
        lag_bound_ms=plan.generator.lag_bound * 1000,
        cache_header=plan.client.capture_header,
        extra_rows=tuple(extra),
    )
    verdict = judge(slo, evidence) if slo is not None else None
    return Judgement(plan, scenario, book, metrics, found, events, verdict, warm_hit_rate(evidence))


def stage_summaries(judgement: Judgement, meta: dict[str, Any]) -> dict[str, Any]:
    """summary.json's ``stages``: per stage label, what was planned and what it measured."""
    scenario, book, metrics = judgement.scenario, judgement.book, judgement.metrics
    out: dict[str, Any] = {}
    for stage in scenario.stages:
        # A closed-loop stage has users, not a planned rate; a rate stage has no users.
        rates = stage.rates or ((None, None),) * len(stage.labels)
        for label, (rate_from, rate_to) in zip(stage.labels, rates, strict=True):
            start, end = stage.span_of(label)
            entry: dict[str, Any] = {
                "stage": stage.name,
                "kind": stage.kind.value,
                "judged": stage.judged,
                "planned": {
                    "start_s": start,
                    "end_s": end,
                    "rate_from": rate_from,
                    "rate_to": rate_to,
                    "users": stage.users_of(label),
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
