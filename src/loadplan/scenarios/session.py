"""A run with its stages, its side work and its verdict: what ``loadplan run`` and ``suite`` call.

``run_session`` wraps the coordinator (``runner.execute``) with what a staged run needs around
it while it runs: a ``BreakpointWatch`` that stops the run where the target breaks, a
``Scraper`` reading the target's /metrics into target_metrics.jsonl, a ``CacheFlusher`` for cold
stages writing each flush to events.jsonl. When the run ends it reads the run directory back and
judges it (``analysis.judge.judge_run``, the same code as ``loadplan judge``), then rewrites
summary.json with::

    "stages":         {label: per-stage summary (counts, percentiles, histograms, target metrics)}
    "breakpoint":     what the breakpoint stage found (last good step and its rate)
    "target_metrics": how scraping went, and the target's CPU, memory and restarts over the run
    "events":         cache flushes (after the coordinator's outages of the target)
    "verdict":        {"pass": bool | None, "inconclusive": [...], "rows": [...]}
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadplan.analysis.judge import Judgement, judge_run
from loadplan.engine.request import RequestSource
from loadplan.errors import RunDirError
from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario
from loadplan.results.events import EventLog
from loadplan.results.result import RunResult
from loadplan.results.runlog import SUMMARY, write_failure, write_json_atomic
from loadplan.results.target_metrics import TARGET_METRICS
from loadplan.scenarios.breakpoint import BreakpointWatch
from loadplan.scenarios.flush import CacheFlusher, FlushHook
from loadplan.scenarios.runner import Monitor, RunOutcome, Service, Sink, execute
from loadplan.sinks.scrape import Scraper
from loadplan.verdict import Verdict, decide


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """How a staged run ended.

    Attributes:
        run: the coordinator's outcome (run directory, stop reason).
        summary: summary.json as written, stages and verdict included.
        verdict: the SLA verdict; None when the plan has no [slo].
        scenario: the stages that were played.
        judgement: everything judged from the run directory.
    """

    run: RunOutcome
    summary: dict[str, Any]
    verdict: Verdict | None
    scenario: Scenario
    judgement: Judgement


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
    """Run ``plan`` stage by stage, then judge it from its directory; summary.json holds all."""
    scenario = Scenario.from_plan(plan)
    slo = plan.slo
    watch = BreakpointWatch(scenario.breakpoint, slo) if scenario.breakpoint and slo else None
    monitors: list[Monitor] = [watch] if watch else []
    services: list[Service] = []
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
    if cold:
        admin = plan.admin
        hook = None
        if admin.cache_flush:
            url = _absolute(plan.target.url, admin.cache_flush)
            hook = FlushHook(url, admin.method, tuple(admin.headers.items()), admin.timeout)
        services.append(CacheFlusher(hook, cold, on_event=EventLog(run_dir).append))
    outcome = execute(
        plan,
        run_dir,
        meta,
        sinks=sinks,
        source=source,
        on_start=on_start,
        offsets_s=offsets_s,
        monitors=monitors,
        services=services,
    )
    judgement = judge_run(RunResult.load(run_dir), plan)
    verdict = judgement.verdict
    if verdict is not None and outcome.degraded is not None:
        # A lost worker means the plan's load was not offered: the verdict cannot stand.
        verdict = decide(verdict.rows, (*verdict.inconclusive, outcome.degraded))
        judgement = dataclasses.replace(judgement, verdict=verdict)
    parts = judgement.summary_parts(meta)
    # The coordinator's own events (the target's outages) first, then the streamed ones.
    parts["events"] = [*outcome.summary.get("events", []), *parts.get("events", [])]
    summary = dict(outcome.summary) | parts
    try:
        write_json_atomic(run_dir / SUMMARY, summary)
    except OSError as exc:
        msg = (
            f"{run_dir}: cannot write summary.json ({write_failure(exc)}); the run is "
            f"readable: loadplan summary {run_dir}"
        )
        raise RunDirError(msg) from None
    return SessionOutcome(outcome, summary, judgement.verdict, scenario, judgement)
