"""The coordinator: starts the workers, merges their seconds, writes the run log, feeds the sinks.

Workers are processes (one event loop each). Each second every worker sends its snapshot over a
pipe; once all live workers have sent second k, the coordinator merges them (histograms add
exactly), appends the merged second to the run directory and hands it to the sinks. Ctrl-C or
SIGTERM asks the workers to stop; they send what they have, and the run still ends with a
summary. A second Ctrl-C stops at once, and the run log still holds every finished second.

A worker that dies (kill -9, the OOM killer) does not end the run: the others go on, every
second the lost one reported is kept, and the run is marked degraded (summary.json
``"degraded"``; exit 3 at the CLI), because from then on it offered less than the plan. A run
directory that cannot be written (a full disk) ends the run with one line saying so; what was
written before stays readable.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from loadplan.engine.client import Target, encode_all
from loadplan.engine.fleet import Fleet, ReportKind
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import RequestSource
from loadplan.engine.selfwatch import resident_bytes
from loadplan.errors import LoadplanError, RunDirError
from loadplan.plan.model import Plan
from loadplan.results.run import RunTotals
from loadplan.results.runlog import RunLogWriter, write_failure
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.scenarios.degraded import LostWorker, degraded_reason
from loadplan.scenarios.outage import OutageWatch
from loadplan.scenarios.priority import CoordinatorPriority, shares_cores_with_workers
from loadplan.scenarios.workers import check_reachable, worker_specs


class Sink(Protocol):
    """Something that wants each merged second (live view, Prometheus exporter, ...)."""

    def update(self, snap: IntervalSnapshot, totals: RunTotals) -> None: ...


class Monitor(Protocol):
    """Judges each merged second and may end the run (a breakpoint stage's stop condition)."""

    def check(self, snap: IntervalSnapshot) -> str | None:
        """A stop reason ("breakpoint reached"), or None to carry on."""
        ...


class Service(Protocol):
    """Work the coordinator does beside the workers (scraping /metrics, flushing a cache)."""

    def start(self, start_ns: int) -> None:
        """Begin; ``start_ns`` is the run's start on the monotonic clock (may be ahead)."""
        ...

    def stop(self) -> None:
        """End and wait for any thread; must not raise."""
        ...


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a run ended.

    Attributes:
        run_dir: where its log is.
        summary: the whole-run summary (also in summary.json).
        stop_reason: "completed", "interrupted" or what went wrong.
        degraded: why the run offered less than its plan (workers lost), None if it did not.
    """

    run_dir: Path
    summary: dict[str, Any]
    stop_reason: str
    degraded: str | None = None


class _Merger:
    """Holds each worker's raw seconds until every live worker has reported that second, then
    builds the merged second from all of them at once (``IntervalSnapshot.from_raws``)."""

    def __init__(self, workers: int, pause: Callable[[], object]) -> None:
        self.pending: dict[int, list[RawInterval]] = {}
        self.latest = dict.fromkeys(range(workers), -1)
        self.live = set(range(workers))
        self.pause = pause

    def add(self, worker: int, raw: RawInterval) -> None:
        self.pending.setdefault(raw.index, []).append(raw)
        self.latest[worker] = max(self.latest[worker], raw.index)

    def done(self, worker: int) -> None:
        """``worker`` will send no more: later seconds no longer wait for it, and the seconds it
        did send stay pending until the others pass them, then merge with theirs."""
        self.live.discard(worker)

    def ready(self, flush_all: bool = False) -> list[IntervalSnapshot]:
        horizon = min((self.latest[w] for w in self.live), default=None)
        out = []
        for index in sorted(self.pending):
            if flush_all or horizon is None or index <= horizon:
                out.append(IntervalSnapshot.from_raws(self.pending.pop(index), self.pause))
        return out


def fleet_for(plan: Plan) -> Fleet:
    """Local worker processes, or Ray actors when the plan's ``[cluster] ray`` names a cluster
    (Ray imported only then: it is an optional extra)."""
    if plan.cluster.ray is None:
        from loadplan.scenarios.process_fleet import ProcessFleet

        return ProcessFleet(plan.load.workers)
    from loadplan.cluster.ray_fleet import RayFleet

    return RayFleet(plan.cluster, plan.client.connect_timeout)


def execute(
    plan: Plan,
    run_dir: Path,
    meta: dict[str, Any],
    sinks: Sequence[Sink] = (),
    source: RequestSource | None = None,
    on_start: Callable[[], None] | None = None,
    offsets_s: tuple[float, ...] | None = None,
    monitors: Sequence[Monitor] = (),
    services: Sequence[Service] = (),
    fleet: Fleet | None = None,
) -> RunOutcome:
    """Run ``plan`` to completion or interruption, writing ``run_dir``; return how it ended.

    ``source`` gives the requests (default: the plan's workload, files relative to the current
    directory); ``offsets_s`` replaces the rate profile with explicit due times (timing replay).
    ``fleet``: where the workers run (default ``fleet_for(plan)``); forked workers share the
    source built here, actors get a copy. A monitor's stop reason ends the run as complete: it
    is how a breakpoint stage finishes.
    """
    # First: a run asked of a cluster without Ray installed is a setup error, whatever the target.
    fleet = fleet if fleet is not None else fleet_for(plan)
    target = Target.parse(plan.target.url, verify_tls=not plan.target.insecure)
    check_reachable(target, plan.client.connect_timeout)
    if source is None:
        from loadplan.workload.build import build_sampler

        source = build_sampler(plan.workload, Path.cwd())
    # Before the start time is set and the workers fork: they inherit what is built here.
    encode_all(target, source.warm())
    where = fleet.prepare(target, source)
    meta = dict(meta) | {"workers": fleet.size}
    if where is not None:
        meta["cluster"] = where
    try:
        log = RunLogWriter(run_dir, meta)
    except BaseException:
        fleet.close()
        raise
    # Workers wait for a common start so their seconds line up (CLOCK_MONOTONIC is system-wide;
    # a cluster's actors turn it into their own clocks, see loadplan.cluster).
    start_ns = time.monotonic_ns() + fleet.lead_ns
    specs = worker_specs(plan, start_ns, offsets_s, target, workers=fleet.size)
    interrupts = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupts
        interrupts += 1
        fleet.stop()

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    priority: CoordinatorPriority | None = None
    # Between histograms the coordinator steps aside for a worker that is ready to run: lowered
    # priority alone still let a worker that woke up wait for the rest of the coordinator's
    # time slice (measured at 10,000 req/s with 30 tags: lag P99 1.7-5 ms a second, and 0.5-1.4
    # ms with the coordinator out of the way).
    pause = getattr(os, "sched_yield", lambda: None)
    totals = RunTotals()
    merger = _Merger(len(specs), pause)
    errors: list[str] = []
    lost: list[LostWorker] = []
    outages = OutageWatch()
    stop_reason = "completed"
    stopped_by: str | None = None
    after: dict[str, Any] | None = None

    def write(snap: IntervalSnapshot) -> None:
        try:
            log.append(snap, pause)
        except OSError as exc:
            # A full disk: a clear stop, never a traceback. The log took the second back from
            # both files and closed itself, so what is on disk is whole seconds, readable.
            fleet.stop()
            msg = (
                f"{run_dir}: cannot write the run log at {snap.start_s:.0f} s "
                f"({write_failure(exc)}); the run stopped; the {totals.intervals} seconds "
                f"before are readable: loadplan summary {run_dir}"
            )
            raise RunDirError(msg) from None

    def publish(snaps: list[IntervalSnapshot]) -> None:
        nonlocal stopped_by
        for merged in snaps:
            snap = dataclasses.replace(merged, rss=merged.rss + resident_bytes())
            write(snap)
            totals.add(snap, pause)
            outages.see(snap)
            for sink in sinks:
                sink.update(snap, totals)
            for monitor in monitors:
                reason = monitor.check(snap)
                if reason and stopped_by is None:
                    stopped_by = reason
                    fleet.stop()

    try:
        fleet.start(specs)
        # Inside the try: if starting a sink fails, the workers are still stopped and joined.
        if on_start is not None:
            on_start()
        for service in services:
            service.start(start_ns)
        # Lowered only now, after the workers forked and the sinks' and services' threads
        # started; SCHED_IDLE only where it is needed and harmless (see priority.py).
        priority = CoordinatorPriority(idle=shares_cores_with_workers(len(specs)) and not services)
        running = len(specs)
        while running:
            if interrupts >= 2:
                stop_reason = "interrupted (forced)"
                break
            for report in fleet.reports(timeout_s=0.2):
                worker = report.worker
                if report.kind is ReportKind.SNAP:
                    assert report.raw is not None
                    merger.add(worker, report.raw)
                    priority.keep_up((time.monotonic_ns() - start_ns) / 1e9 - report.raw.end_s)
                    continue
                if report.kind in (ReportKind.ERROR, ReportKind.LOST):
                    at_s = (time.monotonic_ns() - start_ns) / 1e9
                    lost.append(LostWorker(worker, at_s, merger.latest[worker], report.why))
                    errors.append(f"worker {worker}: {report.why}")
                merger.done(worker)
                running -= 1
            publish(merger.ready())
        publish(merger.ready(flush_all=True))
    finally:
        if priority is not None:
            priority.restore()
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
        fleet.stop()
        for service in services:
            service.stop()
        after = fleet.close()
    if interrupts and stop_reason == "completed":
        stop_reason = "interrupted"
    elif stopped_by is not None and stop_reason == "completed":
        stop_reason = stopped_by
    if errors and not totals.intervals:
        log.close()
        raise LoadplanError("; ".join(errors))
    degraded = degraded_reason(lost, len(specs)) if lost else None
    if len(lost) == len(specs):
        stop_reason = f"worker failed: {errors[0]}"
    elif degraded is not None and stop_reason == "completed":
        stop_reason = degraded
    # A degraded run played its whole plan with fewer workers: complete, but marked (exit 3).
    complete = stop_reason in ("completed", stopped_by, degraded)
    summary = totals.summary(meta, complete=complete, stop_reason=stop_reason)
    if lost:
        summary["degraded"] = {
            "reason": degraded,
            "workers_lost": [w.worker for w in lost],
            "at_s": round(min(w.at_s for w in lost), 3),
            "lost": [w.to_json() for w in lost],
        }
    if after is not None:
        summary["cluster"] = after
    events = outages.events()
    if events:
        summary["events"] = events
    try:
        log.finish(summary)
    except OSError as exc:
        msg = (
            f"{run_dir}: cannot write summary.json ({write_failure(exc)}); the "
            f"{totals.intervals} seconds of the run are readable: loadplan summary {run_dir}"
        )
        raise RunDirError(msg) from None
    return RunOutcome(run_dir, summary, stop_reason, degraded)
