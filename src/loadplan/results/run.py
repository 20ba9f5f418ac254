"""A whole run's totals: kept while it happens, and rebuilt from its directory after a kill.

``RunTotals`` is fed one merged snapshot per second and keeps whole-run histograms plus one small
row of scalars per second, so memory stays flat over a two-hour run. The same class rebuilds the
totals of a killed run from its log, which is why ``loadplan summary`` works on partial runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from loadplan.engine.request import ErrorClass
from loadplan.engine.selfwatch import GeneratorHealth, assess
from loadplan.results import runlog
from loadplan.results.histogram import encode, new_histogram, percentiles_ms
from loadplan.results.snapshot import IntervalSnapshot, busiest_worker, parse_tag_key

SUMMARY_QUANTILES = (50, 90, 95, 99, 99.9)


@dataclass(slots=True)
class RunTotals:
    """Whole-run accumulators. Not frozen: it is the one thing that grows while a run goes on."""

    latency: HdrHistogram = field(default_factory=new_histogram)
    service: HdrHistogram = field(default_factory=new_histogram)
    lag: HdrHistogram = field(default_factory=new_histogram)
    tags: dict[str, HdrHistogram] = field(default_factory=dict)
    tag_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    cpu_busiest: list[float] = field(default_factory=list)
    off_cpu_worst: list[tuple[float, float]] = field(default_factory=list)
    start_s: float | None = None
    end_s: float = 0.0
    intervals: int = 0

    def add(self, snap: IntervalSnapshot, pause: Callable[[], object] = lambda: None) -> None:
        """Add one second; ``pause`` runs between tags (see ``IntervalSnapshot.from_raw``)."""
        self.add_counts(
            {
                "due": snap.due,
                "sent": snap.sent,
                "completed": snap.completed,
                "bytes_in": snap.bytes_in,
                "clamped": snap.clamped,
                "errors": snap.errors,
                "statuses": {str(k): v for k, v in snap.statuses.items()},
                "tags": {k: {"errors": n} for k, n in snap.tag_errors.items()},
                "cpu": snap.cpu,
                "waited_ms": snap.waited * 1000,
                "stolen_ms": snap.stolen * 1000,
                "workers": snap.workers,
                "cpu_by_worker": snap.cpu_by_worker,
                "off_cpu_ms_by_worker": [(w * 1000, t * 1000) for w, t in snap.off_cpu_by_worker],
                "start_s": snap.start_s,
                "end_s": snap.end_s,
            }
        )
        self.latency.add(snap.latency)
        self.service.add(snap.service)
        self.lag.add(snap.lag)
        for key, hist in snap.tags.items():
            self.add_tag(key, hist)
            pause()

    def add_logged(self, tag: str, hist: HdrHistogram) -> None:
        """Add one histogram read back from latency.hlog, by its tag there."""
        if tag == runlog.LATENCY_TAG:
            self.latency.add(hist)
        elif tag == runlog.SERVICE_TAG:
            self.service.add(hist)
        elif tag == runlog.LAG_TAG:
            self.lag.add(hist)
        elif tag.startswith(runlog.TAG_PREFIX):
            self.add_tag(tag[len(runlog.TAG_PREFIX) :], hist)

    def add_tag(self, key: str, hist: HdrHistogram) -> None:
        if key not in self.tags:
            self.tags[key] = new_histogram()
        self.tags[key].add(hist)

    def add_counts(self, row: dict[str, Any]) -> None:
        """Add one snapshots.jsonl row's counts (histograms come separately)."""
        for name in ("due", "sent", "completed", "bytes_in", "clamped"):
            self.counts[name] += int(row.get(name, 0))
        self.errors.update(row.get("errors", {}))
        self.statuses.update(row.get("statuses", {}))
        for key, stats in row.get("tags", {}).items():
            self.tag_errors[key] += int(stats.get("errors", 0))
        start = float(row.get("start_s", 0.0))
        if float(row.get("end_s", 0.0)) - start >= 0.5:
            # A run's last, partial second is mostly shutdown: its CPU share says nothing.
            cpu, off_cpu = busiest_worker(row)
            self.cpu_busiest.append(cpu)
            self.off_cpu_worst.append(off_cpu)
        self.start_s = start if self.start_s is None else min(self.start_s, start)
        self.end_s = max(self.end_s, float(row.get("end_s", 0.0)))
        self.intervals += 1

    def merge(self, other: RunTotals) -> None:
        """Add ``other`` in (exact: counts and histogram buckets add), e.g. a stage's steps."""
        self.latency.add(other.latency)
        self.service.add(other.service)
        self.lag.add(other.lag)
        for key, hist in other.tags.items():
            self.add_tag(key, hist)
        self.tag_errors.update(other.tag_errors)
        self.errors.update(other.errors)
        self.statuses.update(other.statuses)
        self.counts.update(other.counts)
        self.cpu_busiest.extend(other.cpu_busiest)
        self.off_cpu_worst.extend(other.off_cpu_worst)
        starts = [s for s in (self.start_s, other.start_s) if s is not None]
        self.start_s = min(starts) if starts else None
        self.end_s = max(self.end_s, other.end_s)
        self.intervals += other.intervals

    @property
    def duration_s(self) -> float:
        """Seconds covered: a stage's totals start where the stage does, not at 0."""
        return self.end_s - (self.start_s or 0.0)

    def _by_tag(self) -> dict[str, dict[str, Any]]:
        return _merge_by_single_tag(self.tags, self.tag_errors)

    def health(self, lag_p99_bound_ms: float = 10.0) -> GeneratorHealth:
        return assess(
            self.lag,
            self.cpu_busiest,
            lag_p99_bound_ms,
            off_cpu_worst=self.off_cpu_worst,
        )

    def summary(self, meta: dict[str, Any], complete: bool, stop_reason: str) -> dict[str, Any]:
        duration = max(self.duration_s, 1e-9)
        completed = self.counts["completed"]
        ok = self.errors.get(ErrorClass.OK.value, 0)
        health = self.health(float(meta.get("lag_bound_ms", 10.0)))
        return {
            "complete": complete,
            "stop_reason": stop_reason,
            "target": meta.get("target", ""),
            "mode": meta.get("mode", ""),
            "workers": meta.get("workers", 1),
            "duration_s": round(self.duration_s, 3),
            "intervals": self.intervals,
            "requests": {
                "due": self.counts["due"],
                "sent": self.counts["sent"],
                "completed": completed,
                "ok": ok,
                "failed": completed - ok,
            },
            "rate": {
                "offered": round(self.counts["due"] / duration, 2),
                "achieved": round(completed / duration, 2),
                "ok": round(ok / duration, 2),
            },
            "error_rate": round((completed - ok) / completed, 6) if completed else None,
            "errors": dict(sorted(self.errors.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "bytes_in": self.counts["bytes_in"],
            "clamped": self.counts["clamped"],
            "latency_ms": percentiles_ms(self.latency, SUMMARY_QUANTILES),
            "service_ms": percentiles_ms(self.service, SUMMARY_QUANTILES),
            "lag_ms": percentiles_ms(self.lag, SUMMARY_QUANTILES),
            "tags": {
                k: {"count": h.get_total_count(), "errors": self.tag_errors.get(k, 0)}
                | percentiles_ms(h, SUMMARY_QUANTILES)
                for k, h in sorted(self.tags.items())
            },
            "by_tag": self._by_tag(),
            "generator": {
                "bound": health.bound,
                "reasons": list(health.reasons),
                "lag_p99_ms": health.lag_p99_ms,
                "lag_max_ms": health.lag_max_ms,
                "cpu_max": round(health.cpu_max, 3),
                "off_cpu_max_ms": round(health.off_cpu_max_ms, 1),
            },
            "histograms": {
                "latency": encode(self.latency),
                "service": encode(self.service),
                "lag": encode(self.lag),
                "tags": {k: encode(h) for k, h in sorted(self.tags.items())},
            },
        }


def _merge_by_single_tag(
    tags: dict[str, HdrHistogram], tag_errors: Counter[str]
) -> dict[str, dict[str, Any]]:
    """Per single ``name=value`` (e.g. ``lang=ja``): all tag combinations holding it, merged.

    Combinations answer "P95 of tail queries in ja"; single tags answer "P95 of ja" and keep the
    terminal table short. Merging adds bucket counts, so both views are exact.
    """
    hists: dict[str, HdrHistogram] = {}
    errors: Counter[str] = Counter()
    for key, hist in tags.items():
        for name, value in parse_tag_key(key).items():
            single = f"{name}={value}"
            if single not in hists:
                hists[single] = new_histogram()
            hists[single].add(hist)
            errors[single] += tag_errors.get(key, 0)
    return {
        k: {"count": h.get_total_count(), "errors": errors[k]}
        | percentiles_ms(h, SUMMARY_QUANTILES)
        for k, h in sorted(hists.items())
    }


STAGE_KEYS = (
    "duration_s", "intervals", "requests", "rate", "error_rate", "errors", "statuses",
    "latency_ms", "service_ms", "lag_ms", "tags", "generator", "histograms",
)  # fmt: skip
"""The parts of a run's summary that a stage's summary repeats for its own seconds."""


def rebuilt_summary(
    run_dir: Path, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """A killed run's summary from its log: the whole run's totals and, for a staged plan, each
    stage label's (without the planned rates, which only the live run knew); the plan's stages
    that never started are listed as not run."""
    whole = RunTotals()
    stages: dict[str, RunTotals] = {}
    label_at: dict[float, str] = {}
    for row in rows:
        stage = str(row.get("stage", ""))
        whole.add_counts(row)
        stages.setdefault(stage, RunTotals()).add_counts(row)
        label_at[round(float(row["start_s"]), 3)] = stage
    for logged in runlog.read_hlog(run_dir):
        # Only intervals whose JSON row made it to disk count, so counts and histograms agree.
        at = label_at.get(round(logged.start_s, 3))
        if at is not None:
            whole.add_logged(logged.tag, logged.histogram)
            stages[at].add_logged(logged.tag, logged.histogram)
    summary = whole.summary(meta, complete=False, stop_reason="killed (no summary.json)")
    planned_stages = meta.get("plan", {}).get("stages") or []
    if len(stages) > 1 or planned_stages:
        names = {str(s.get("name") or s.get("type", "")): s.get("type") for s in planned_stages}
        out: dict[str, Any] = {}
        for label, totals in stages.items():
            name = next((n for n in names if label == n or label.startswith(f"{n}-")), label)
            full = totals.summary(meta, complete=False, stop_reason="")
            planned = {"start_s": totals.start_s, "end_s": totals.end_s, **_unknown_rates()}
            entry = {"stage": name, "kind": names.get(name), "ran": True, "planned": planned}
            out[label] = entry | {k: full[k] for k in STAGE_KEYS}
        for name, kind in names.items():
            if not any(e["stage"] == name for e in out.values()):
                out[name] = {"stage": name, "kind": kind, "ran": False, "planned": _unknown_rates()}
        summary["stages"] = out
    return summary


def _unknown_rates() -> dict[str, Any]:
    return {"rate_from": None, "rate_to": None}
