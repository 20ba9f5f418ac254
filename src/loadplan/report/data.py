"""Everything a report shows, read from a run directory in one place.

The run directory is the only link between a run and its report (DESIGN: "the run log on disk").
``ReportData.load`` reads it once: the per-second rows of snapshots.jsonl, one pass over
latency.hlog (per-stage histograms and per-tag histograms, merged exactly by adding counts), the
summary (rebuilt for a killed run), an SLA verdict when the plan had objectives, and the target's
scraped metrics when there are any. Plots, tables and CSV files all read this one value, so they
cannot disagree.

Tags are per combination in the log (``lang=ja;bucket=tail;x-cache=HIT``); a report wants them per
single tag name, so every combination holding ``lang=ja`` is merged into the ``lang=ja`` row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from loadplan.report.target import TargetMetrics, read_target_metrics
from loadplan.report.verdict import SlaBound, latency_bounds, read_verdict
from loadplan.results import runlog
from loadplan.results.histogram import new_histogram
from loadplan.results.result import RunResult
from loadplan.results.snapshot import busiest_worker, parse_tag_key
from loadplan.verdict import Verdict

CACHE_HIT_PREFIX = "HIT"
"""Values of a cache tag that count as hits (HIT, HIT-STALE, ...); MISS, BYPASS, ... do not."""


@dataclass(frozen=True, slots=True)
class Second:
    """One row of snapshots.jsonl, typed.

    Attributes:
        index: interval number from the run's start.
        start_s: interval start, seconds from the run's start.
        end_s: interval end.
        stage: stage label ("" when the plan had no stages).
        due: requests made due (offered load).
        completed: requests that ended (any outcome).
        errors: completed requests by outcome class, ``ok`` included.
        latency_ms: p50/p95/p99/max/mean of the interval; empty when nothing completed.
        lag_p99_ms: schedule-lag P99 (0 when nothing was sent).
        cpu: the busiest worker's CPU, 1.0 = one core.
        inflight_max: most requests in flight at once.
        backlog: requests due but not sent at the interval's end.
    """

    index: int
    start_s: float
    end_s: float
    stage: str
    due: int
    completed: int
    errors: Mapping[str, int]
    latency_ms: Mapping[str, float]
    lag_p99_ms: float
    cpu: float
    inflight_max: int
    backlog: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Second:
        return cls(
            index=int(row["index"]),
            start_s=float(row["start_s"]),
            end_s=float(row["end_s"]),
            stage=str(row.get("stage", "")),
            due=int(row.get("due", 0)),
            completed=int(row.get("completed", 0)),
            errors={str(k): int(v) for k, v in row.get("errors", {}).items()},
            latency_ms={str(k): float(v) for k, v in row.get("latency_ms", {}).items()},
            lag_p99_ms=float(row.get("lag_ms", {}).get("p99", 0.0)),
            cpu=busiest_worker(row)[0],
            inflight_max=int(row.get("inflight_max", 0)),
            backlog=int(row.get("backlog", 0)),
        )

    @property
    def duration_s(self) -> float:
        return max(self.end_s - self.start_s, 1e-9)

    @property
    def offered_rps(self) -> float:
        return self.due / self.duration_s

    @property
    def achieved_rps(self) -> float:
        return self.completed / self.duration_s

    @property
    def failed(self) -> int:
        return self.completed - self.errors.get("ok", 0)


@dataclass(frozen=True, slots=True)
class Stage:
    """The seconds of one stage, added up.

    Attributes:
        name: the stage label ("run" when the plan had none).
        start_s: start of its first second.
        end_s: end of its last second.
        due: requests made due.
        completed: requests that ended.
        errors: completed requests by outcome class, ``ok`` included.
        latency: merged latency histogram of its seconds (µs).
    """

    name: str
    start_s: float
    end_s: float
    due: int
    completed: int
    errors: Mapping[str, int]
    latency: HdrHistogram

    @property
    def duration_s(self) -> float:
        return max(self.end_s - self.start_s, 1e-9)

    @property
    def failed(self) -> int:
        return self.completed - self.errors.get("ok", 0)


@dataclass(frozen=True, slots=True)
class TagValue:
    """One value of one tag name (``lang=ja``), merged over every combination holding it.

    Attributes:
        name: tag name, e.g. ``lang``.
        value: tag value, e.g. ``ja``.
        count: latency records (answered requests and timeouts) carrying it.
        errors: completed requests carrying it that were not ``ok``.
        latency: merged latency histogram (µs).
        per_second: records per second, aligned with ``ReportData.seconds``.
    """

    name: str
    value: str
    count: int
    errors: int
    latency: HdrHistogram
    per_second: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReportData:
    """A run, ready to report on.

    Attributes:
        run_dir: the run directory.
        meta: meta.json (what was run).
        summary: whole-run totals (summary.json, or rebuilt from the log of a killed run).
        complete: False for interrupted or killed runs.
        seconds: the per-second rows, in order.
        stages: per-stage totals, in the order the stages ran.
        tags: per tag name, its values (most frequent first).
        latency: whole-run latency histogram (µs).
        verdict: the SLA verdict, or None when the plan stated no objectives.
        sla_bounds: latency bounds to draw on the plots (from the verdict).
        target: the target's scraped metrics, or None when they were not scraped.
    """

    run_dir: Path
    meta: Mapping[str, Any]
    summary: Mapping[str, Any]
    complete: bool
    seconds: tuple[Second, ...]
    stages: tuple[Stage, ...]
    tags: Mapping[str, tuple[TagValue, ...]]
    latency: HdrHistogram
    verdict: Verdict | None
    sla_bounds: tuple[SlaBound, ...]
    target: TargetMetrics | None

    @classmethod
    def load(cls, run_dir: Path) -> ReportData:
        """Read ``run_dir`` (complete or partial); RunDirError when it is not a run directory."""
        result = RunResult.load(run_dir)
        seconds = tuple(sorted((Second.from_row(r) for r in result.intervals), key=_order))
        stage_hists, tag_hists, tag_counts = _read_histograms(run_dir, seconds)
        verdict = read_verdict(result.summary, str(run_dir / "summary.json"))
        return cls(
            run_dir=run_dir,
            meta=result.meta,
            summary=result.summary,
            complete=result.complete,
            seconds=seconds,
            stages=_stages(seconds, stage_hists),
            tags=_tags(result.intervals, tag_hists, tag_counts, len(seconds)),
            latency=result.latency,
            verdict=verdict,
            sla_bounds=latency_bounds(verdict) if verdict else (),
            target=read_target_metrics(run_dir),
        )

    @property
    def generator(self) -> Mapping[str, Any]:
        gen: Mapping[str, Any] = self.summary.get("generator", {})
        return gen

    def cache_tag(self) -> str | None:
        """The tag name that carries the cache status (e.g. ``x-cache``), if any."""
        names = [n for n in self.tags if "cache" in n.lower()]
        return names[0] if names else None

    def cache_hit_ratio(self) -> list[float | None]:
        """Per second, hits / lookups from the cache tag (None for a second without lookups)."""
        name = self.cache_tag()
        if name is None:
            return []
        values = self.tags[name]
        out: list[float | None] = []
        for i in range(len(self.seconds)):
            total = sum(v.per_second[i] for v in values)
            hits = sum(v.per_second[i] for v in values if _is_hit(v.value))
            out.append(hits / total if total else None)
        return out


def _order(second: Second) -> int:
    return second.index


def _is_hit(value: str) -> bool:
    return value.upper().startswith(CACHE_HIT_PREFIX)


def stage_name(label: str) -> str:
    return label or "run"


def _read_histograms(
    run_dir: Path, seconds: tuple[Second, ...]
) -> tuple[
    dict[str, HdrHistogram], dict[tuple[str, str], HdrHistogram], dict[tuple[str, str], list[int]]
]:
    """One pass over latency.hlog: latency per stage, and per single tag name=value."""
    position = {round(s.start_s, 3): i for i, s in enumerate(seconds)}
    stage_hists: dict[str, HdrHistogram] = {}
    tag_hists: dict[tuple[str, str], HdrHistogram] = {}
    tag_counts: dict[tuple[str, str], list[int]] = {}
    for entry in runlog.read_hlog(run_dir):
        # Only seconds whose JSON row reached the disk count, so every table adds up.
        pos = position.get(round(entry.start_s, 3))
        if pos is None:
            continue
        if entry.tag == runlog.LATENCY_TAG:
            name = stage_name(seconds[pos].stage)
            stage_hists.setdefault(name, new_histogram()).add(entry.histogram)
        elif entry.tag.startswith(runlog.TAG_PREFIX):
            count = entry.histogram.get_total_count()
            for pair in parse_tag_key(entry.tag[len(runlog.TAG_PREFIX) :]).items():
                tag_hists.setdefault(pair, new_histogram()).add(entry.histogram)
                tag_counts.setdefault(pair, [0] * len(seconds))[pos] += count
    return stage_hists, tag_hists, tag_counts


def _stages(seconds: tuple[Second, ...], hists: Mapping[str, HdrHistogram]) -> tuple[Stage, ...]:
    order: list[str] = []
    groups: dict[str, list[Second]] = {}
    for s in seconds:
        name = stage_name(s.stage)
        if name not in groups:
            order.append(name)
        groups.setdefault(name, []).append(s)
    stages = []
    for name in order:
        group = groups[name]
        errors: dict[str, int] = {}
        for s in group:
            for k, v in s.errors.items():
                errors[k] = errors.get(k, 0) + v
        stages.append(
            Stage(
                name=name,
                start_s=min(s.start_s for s in group),
                end_s=max(s.end_s for s in group),
                due=sum(s.due for s in group),
                completed=sum(s.completed for s in group),
                errors=dict(sorted(errors.items())),
                latency=hists.get(name) or new_histogram(),
            )
        )
    return tuple(stages)


def _tags(
    rows: list[dict[str, Any]],
    hists: Mapping[tuple[str, str], HdrHistogram],
    counts: Mapping[tuple[str, str], list[int]],
    n_seconds: int,
) -> dict[str, tuple[TagValue, ...]]:
    errors: dict[tuple[str, str], int] = {}
    for row in rows:
        for key, stats in row.get("tags", {}).items():
            for pair in parse_tag_key(key).items():
                errors[pair] = errors.get(pair, 0) + int(stats.get("errors", 0))
    by_name: dict[str, list[TagValue]] = {}
    for (name, value), hist in hists.items():
        by_name.setdefault(name, []).append(
            TagValue(
                name=name,
                value=value,
                count=hist.get_total_count(),
                errors=errors.get((name, value), 0),
                latency=hist,
                per_second=tuple(counts.get((name, value), [0] * n_seconds)),
            )
        )
    return {
        name: tuple(sorted(values, key=lambda v: (-v.count, v.value)))
        for name, values in sorted(by_name.items())
    }
