"""A run read back from its directory: the one input of every analysis.

``RunResult.load`` reads what is cheap at once (meta.json, the summary, the per-second rows)
and the rest on demand: ``stage_book`` replays the seconds, histograms included, into the same
``StageBook`` a live run fills, so a verdict made from the directory is the verdict the run
printed; ``target_metrics`` and ``events`` read the files the run streamed beside its seconds.
A killed run reads the same way (its summary is rebuilt from the log and says it is partial).

Example::

    result = RunResult.load(Path("runs/20261203-063851"))
    result.plan.slo.p95                    # 0.3
    book = result.stage_book(window_s=60)  # per-stage totals, seconds, drift windows
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from hdrh.histogram import HdrHistogram

from loadplan.errors import RunDirError
from loadplan.plan.model import Plan
from loadplan.results import runlog
from loadplan.results.events import RunEvent, read_events
from loadplan.results.histogram import decode
from loadplan.results.run import RunTotals, rebuilt_summary
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.results.stagebook import StageBook
from loadplan.results.target_metrics import TargetMetrics, read_scrape_rows


@dataclass(frozen=True, slots=True)
class RunMeta:
    """What meta.json says was run.

    Attributes:
        loadplan: the version that ran it.
        engine: which engine measured ("compiled", "interpreted", "mixed", "?").
        command: the command line, when it came from one.
        plan_file: the plan's path as given.
        target: the target's base URL.
        mode: "open" or "closed".
        workers: worker processes.
        lag_bound_ms: schedule-lag P99 above which the run was generator-bound.
        started_at: when it started, seconds since the epoch.
    """

    loadplan: str
    engine: str
    command: str | None
    plan_file: str | None
    target: str
    mode: str
    workers: int
    lag_bound_ms: float
    started_at: float | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunMeta:
        started = raw.get("started_at")
        return cls(
            loadplan=str(raw.get("loadplan", "?")),
            engine=str(raw.get("engine", "?")),
            command=raw.get("command") if isinstance(raw.get("command"), str) else None,
            plan_file=raw.get("plan_file") if isinstance(raw.get("plan_file"), str) else None,
            target=str(raw.get("target", "")),
            mode=str(raw.get("mode", "")),
            workers=int(raw.get("workers", 1)),
            lag_bound_ms=float(raw.get("lag_bound_ms", 10.0)),
            started_at=float(started) if isinstance(started, int | float) else None,
        )


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run read back from its directory.

    Attributes:
        run_dir: where it lives.
        info: meta.json, typed.
        plan: the plan it ran, rebuilt from meta.json; None when meta.json holds none that
            validates (a run of an older loadplan): then pass a plan to judge it.
        meta: meta.json as written (the report prints from it).
        summary: whole-run totals (summary.json, or rebuilt from the log for a partial run).
        intervals: the per-second rows of snapshots.jsonl.
        latency: whole-run latency histogram (µs).
        complete: False when the run was interrupted or killed.
        stop_reason: why it ended ("completed", "interrupted", "breakpoint reached", ...).
    """

    run_dir: Path
    info: RunMeta
    plan: Plan | None
    meta: dict[str, Any]
    summary: dict[str, Any]
    intervals: list[dict[str, Any]]
    latency: HdrHistogram
    complete: bool
    stop_reason: str

    @classmethod
    def load(cls, run_dir: Path) -> RunResult:
        """Read ``run_dir``; ``RunDirError`` (one line, naming it) when it is not a run."""
        meta = runlog.read_meta(run_dir)
        rows = list(runlog.read_snapshot_lines(run_dir))
        try:
            summary = runlog.read_summary(run_dir)
        except ValueError as exc:
            msg = f"{run_dir / runlog.SUMMARY}: not JSON ({exc}); delete it to rebuild it"
            raise RunDirError(msg) from None
        if summary is None:
            summary = rebuilt_summary(run_dir, meta, rows)
        latency = decode(summary["histograms"]["latency"])
        return cls(
            run_dir=run_dir,
            info=RunMeta.from_json(meta),
            plan=_plan_of(meta),
            meta=meta,
            summary=summary,
            intervals=rows,
            latency=latency,
            complete=bool(summary["complete"]),
            stop_reason=str(summary.get("stop_reason", "")),
        )

    def seconds(self) -> Iterator[IntervalSnapshot]:
        """The merged seconds, histograms included, in run order (read as they are needed)."""
        return runlog.read_seconds(self.run_dir)

    def stage_book(self, window_s: float = 60.0) -> StageBook:
        """Every second filed by stage label, as the live run filed them: per-stage totals,
        per-second rows and the P95 of each ``window_s`` drift window."""
        book = StageBook(window_s)
        totals = RunTotals()
        for snap in self.seconds():
            book.update(snap, totals)
        book.finish()
        return book

    def target_metrics(self, hits: str = "", misses: str = "") -> TargetMetrics | None:
        """The target's scraped metrics; None when the run scraped nothing."""
        rows = read_scrape_rows(self.run_dir)
        return None if rows is None else TargetMetrics(rows, hits, misses)

    @property
    def events(self) -> tuple[RunEvent, ...]:
        """Cache flushes and other events, as they were streamed to events.jsonl."""
        return read_events(self.run_dir)


def _plan_of(meta: dict[str, Any]) -> Plan | None:
    raw = meta.get("plan")
    if not isinstance(raw, dict):
        return None
    try:
        return Plan.model_validate(raw)
    except pydantic.ValidationError:
        return None
