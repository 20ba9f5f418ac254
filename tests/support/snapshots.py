"""Crafted interval snapshots: a run's seconds written by hand, for verdict and book tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from loadplan.plan.model import Plan
from loadplan.plan.scenario import Scenario
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.results.stagebook import StageBook


def second(
    index: int,
    stage: str,
    latencies_ms: Sequence[float] = (),
    due: int | None = None,
    errors: dict[str, int] | None = None,
    lag_ms: float = 1.0,
    cpu: float = 0.1,
    tags: dict[str, int] | None = None,
    length: float = 1.0,
) -> IntervalSnapshot:
    """One second: answers with ``latencies_ms`` (all ok unless ``errors`` says otherwise).

    ``tags`` maps a tag key (``x-cache=HIT``) to how many of the answers carry it.
    """
    hist = new_histogram()
    record_many(hist, [int(ms * 1000) for ms in latencies_ms])
    lag = new_histogram()
    record_many(lag, [int(lag_ms * 1000)] * max(len(latencies_ms), 1))
    counts = {"ok": len(latencies_ms)} if errors is None else dict(errors)
    completed = sum(counts.values())
    tag_hists = {}
    for key, n in (tags or {}).items():
        tag_hists[key] = new_histogram()
        record_many(tag_hists[key], [int(latencies_ms[0] * 1000) if latencies_ms else 1000] * n)
    return IntervalSnapshot(
        index=index,
        start_s=float(index),
        end_s=index + length,
        stage=stage,
        due=completed if due is None else due,
        sent=completed,
        completed=completed,
        errors=counts,
        latency=hist,
        lag=lag,
        tags=tag_hists,
        cpu=cpu,
    )


def steady(
    start: int, count: int, stage: str, ms: float = 10.0, per_second: int = 100, **kw: Any
) -> list[IntervalSnapshot]:
    """``count`` seconds of ``per_second`` answers at about ``ms`` each."""
    spread = [ms * (0.5 + i / per_second) for i in range(per_second)]
    return [second(start + i, stage, spread, **kw) for i in range(count)]


def book_of(snaps: Iterable[IntervalSnapshot], window_s: float = 60.0) -> StageBook:
    book = StageBook(window_s)
    totals = RunTotals()
    for snap in snaps:
        totals.add(snap)
        book.update(snap, totals)
    book.finish()
    return book


def scenario_of(*stages: dict[str, Any]) -> Scenario:
    plan = Plan.model_validate(
        {"target": {"url": "http://127.0.0.1:1"}, "load": {"duration": 1}, "stages": stages}
    )
    return Scenario.from_plan(plan)
