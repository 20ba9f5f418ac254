"""Two runs compared row by row: per stage label, and per tag within it.

``compare_runs`` reads two ``RunResult``s (and, for ``--baseline``, earlier runs of the base
build) and nothing else. Before any row it checks that the runs ran the same load: a different
rate, seed, stage list or workload makes every row inconclusive, since a change there is not a
change of the build; a different target URL is only named (builds are often served on
different ports or hosts).

Example::

    comparison = compare_runs(RunResult.load(base_dir), RunResult.load(new_dir))
    comparison.exit_code          # 0 no regression, 1 regressed, 3 inconclusive
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from loadplan.analysis.compare.gate import Threshold, Verdict, decide, parse_fail_on
from loadplan.analysis.compare.lag import lag_moved, stage_lags
from loadplan.analysis.compare.samples import GroupSeconds, group_seconds
from loadplan.analysis.compare.scraped import (
    MIN_INTERVALS,
    ScrapeIntervals,
    available,
    point_figures,
    scraped_differences,
    stage_intervals,
)
from loadplan.analysis.compare.stats import (
    CONFIDENCE,
    SECOND_FIGURES,
    Difference,
    Figure,
    differences,
    figures_of,
    noise_floor,
)
from loadplan.plan.model import ScrapeSpec
from loadplan.plan.scenario import Scenario
from loadplan.plan.stages import StageKind
from loadplan.results.result import RunResult
from loadplan.results.target_metrics import TargetMetrics

BLOCKING = ("load", "stages", "suite", "workload")
"""Plan sections that shape the load: runs differing there did not ask the same question."""
NAMED = ("target",)
"""Sections whose differences are named but do not block a comparison."""
IGNORED_LOAD = frozenset({"workers"})

Found = tuple[Difference, tuple[int, int], tuple[str, ...]]
"""A figure's difference in a group, the seconds each run gave it, and what blocks it."""


@dataclass(frozen=True, slots=True)
class Row:
    """One compared figure of one group.

    Attributes:
        label: the stage label.
        tag: ``""`` for the whole stage, else a ``name=value`` tag.
        difference: the figure in both runs, its change and interval.
        threshold: how far it may move.
        verdict: regressed, improved, no change or inconclusive.
        reason: why, in a few words.
        noise: the baseline runs' spread of the figure (``--baseline``), else None.
    """

    label: str
    tag: str
    difference: Difference
    threshold: Threshold
    verdict: Verdict
    reason: str
    noise: float | None = None

    @property
    def figure(self) -> Figure:
        return self.difference.figure

    @property
    def fails(self) -> bool:
        return self.verdict is Verdict.REGRESSED and self.threshold.gated


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two runs compared.

    Attributes:
        base: the base run's directory.
        new: the new run's.
        rows: every row, stage by stage, whole stage first, then its tags.
        warnings: what differs between the runs, and what could not be checked.
        blockers: run-level reasons that make every row inconclusive.
        notes: figures not compared, and why (e.g. one run did not scrape the target).
        confidence: the intervals' confidence level.
        baseline: the earlier runs whose spread is the noise floor (may be empty).
        base_groups: the base run's seconds by (label, tag), for the report's plots.
        new_groups: the new run's.
    """

    base: str
    new: str
    rows: tuple[Row, ...]
    warnings: tuple[str, ...]
    blockers: tuple[str, ...]
    confidence: float
    baseline: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    base_groups: Mapping[tuple[str, str], GroupSeconds] = field(default_factory=dict, repr=False)
    new_groups: Mapping[tuple[str, str], GroupSeconds] = field(default_factory=dict, repr=False)

    @property
    def exit_code(self) -> int:
        """1 when a gated row regressed; else 3 when a gated whole-stage row is inconclusive
        (or nothing could be compared); else 0."""
        if any(row.fails for row in self.rows):
            return 1
        stage_rows = [r for r in self.rows if r.tag == "" and r.threshold.gated]
        if not stage_rows or any(r.verdict is Verdict.INCONCLUSIVE for r in stage_rows):
            return 3
        return 0


def compare_runs(
    base: RunResult,
    new: RunResult,
    fail_on: Mapping[Figure, Threshold] | None = None,
    baseline: Sequence[RunResult] = (),
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Compare ``new`` against ``base``, per stage label and per tag of it."""
    thresholds = dict(fail_on) if fail_on is not None else parse_fail_on(())
    warnings, blockers = plan_differences(base, new)
    for name, run in (("base", base), ("new", new)):
        if bool(run.summary.get("generator", {}).get("bound")):
            blockers.append(f"{name} run generator-bound")
        if not run.complete:
            warnings.append(f"{name} run {run.run_dir} is partial ({run.stop_reason})")
    header_b = base.plan.client.capture_header if base.plan else ""
    header_n = new.plan.client.capture_header if new.plan else ""
    groups_b = group_seconds(base.seconds(), header_b)
    groups_n = group_seconds(new.seconds(), header_n)
    lags_b, lags_n = stage_lags(base.seconds()), stage_lags(new.seconds())
    floors = _noise_floors(baseline, header_b) if baseline else {}
    only = sorted({k[0] for k in groups_b} ^ {k[0] for k in groups_n})
    if only:
        warnings.append(f"stages in one run only, not compared: {', '.join(map(_show, only))}")
    ungated = _breakpoint_labels(base) | _breakpoint_labels(new)
    metrics_b, metrics_n = _metrics(base), _metrics(new)
    scraped, notes = _scraped_figures(metrics_b, metrics_n)
    rows: list[Row] = []
    labels = [k for k in groups_b if k in groups_n]
    labels.sort(key=lambda k: (float(groups_b[(k[0], "")].start_s[0]), k[1] != "", k[1]))
    for key in labels:
        gb, gn = groups_b[key], groups_n[key]
        found: list[Found] = [
            (d, (gb.seconds, gn.seconds), ()) for d in differences(gb, gn, confidence).values()
        ]
        if key[1] == "" and scraped and metrics_b is not None and metrics_n is not None:
            intervals = stage_intervals(metrics_b, gb), stage_intervals(metrics_n, gn)
            found += _scraped_rows(*intervals, scraped, confidence)
        for diff, seconds, why in found:
            threshold = thresholds.get(diff.figure)
            if threshold is None:
                continue
            if key[0] in ungated or (why and diff.figure in SCRAPED):
                # Too few scrapes in a stage is too little data for that row only: shown as
                # inconclusive, never the reason a short run's gate says "inconclusive".
                threshold = replace(threshold, gated=False)
            if diff.base_count == 0 and diff.new_count == 0:
                continue  # e.g. no cache header captured: no row at all
            noise = floors.get((key, diff.figure))
            late = (
                lag_moved(diff, threshold, lags_b[key[0]], lags_n[key[0]])
                if key[0] in lags_b and key[0] in lags_n
                else None
            )
            later = (late,) if late else ()
            verdict, reason = decide(diff, threshold, seconds, [*blockers, *why, *later], noise)
            rows.append(Row(key[0], key[1], diff, threshold, verdict, reason, noise))
    return Comparison(
        base=str(base.run_dir),
        new=str(new.run_dir),
        rows=tuple(rows),
        warnings=tuple(warnings),
        blockers=tuple(blockers),
        confidence=confidence,
        baseline=tuple(str(r.run_dir) for r in baseline),
        notes=tuple(notes),
        base_groups=groups_b,
        new_groups=groups_n,
    )


SCRAPED = frozenset({Figure.CPU_PER_REQUEST, Figure.TARGET_HIT_RATE})
"""Figures read from the target's scraped counters, not from loadplan's own seconds."""


def _metrics(run: RunResult) -> TargetMetrics | None:
    """The run's scraped metrics, read with its plan's cache counter names."""
    spec = run.plan.scrape if run.plan is not None else ScrapeSpec()
    return run.target_metrics(spec.cache_hits, spec.cache_misses)


def _scraped_figures(
    base: TargetMetrics | None, new: TargetMetrics | None
) -> tuple[list[Figure], list[str]]:
    """The scraped figures both runs have, and a note for each one left out."""
    have_b, have_n = available(base), available(new)
    figures, notes = [], []
    for figure in (Figure.CPU_PER_REQUEST, Figure.TARGET_HIT_RATE):
        why = [
            f"{name} run: {w}"
            for name, w in (("base", have_b[figure]), ("new", have_n[figure]))
            if w
        ]
        if why:
            notes.append(f"{figure.value} not compared: {'; '.join(why)}")
        else:
            figures.append(figure)
    return figures, notes


def _scraped_rows(
    base: ScrapeIntervals, new: ScrapeIntervals, figures: Sequence[Figure], confidence: float
) -> list[Found]:
    """A stage's scraped differences, with the seconds they cover and what blocks them."""
    seconds = (round(base.seconds), round(new.seconds))
    why: tuple[str, ...] = ()
    if min(base.count, new.count) < MIN_INTERVALS:
        why = (f"{base.count} vs {new.count} scrape intervals; needs >= {MIN_INTERVALS} each",)
    diffs = scraped_differences(base, new, confidence)
    return [(diffs[f], seconds, why) for f in figures if f in diffs]


def _breakpoint_labels(run: RunResult) -> set[str]:
    """Labels of breakpoint stages: reported, never gated. A breakpoint pushes past the SLA on
    purpose and stops a step early, at a point that moves from run to run; what it found is
    compared by the capacity plan, not row by row."""
    if run.plan is None:
        return set()
    stages = Scenario.from_plan(run.plan).stages
    return {label for s in stages if s.kind is StageKind.BREAKPOINT for label in s.labels}


def _noise_floors(
    runs: Sequence[RunResult], header: str
) -> dict[tuple[tuple[str, str], Figure], float]:
    """Per (group, figure): the spread of the figure over the baseline runs."""
    values: dict[tuple[tuple[str, str], Figure], dict[str, float | None]] = {}
    for run in runs:
        metrics = _metrics(run)
        for key, group in group_seconds(run.seconds(), header).items():
            point = figures_of(group, np.ones((1, group.seconds), dtype=np.int64))
            found = {f: float(point[f][0]) for f in SECOND_FIGURES}
            if key[1] == "" and metrics is not None:
                scraped = point_figures(stage_intervals(metrics, group))
                found |= {f: v for f, v in scraped.items() if v is not None}
            for figure, v in found.items():
                values.setdefault((key, figure), {})[str(run.run_dir)] = (
                    v if np.isfinite(v) else None
                )
    out = {}
    for (key, figure), by_run in values.items():
        floor = noise_floor(by_run, figure)
        if floor is not None:
            out[(key, figure)] = floor
    return out


def plan_differences(base: RunResult, new: RunResult) -> tuple[list[str], list[str]]:
    """(warnings, blockers): each names what differs, e.g. ``load.rate: 100 vs 200``."""
    if base.plan is None or new.plan is None:
        which = base.run_dir if base.plan is None else new.run_dir
        return [f"{which}: meta.json holds no readable plan; the load was not checked"], []
    b = base.plan.model_dump(mode="json")
    n = new.plan.model_dump(mode="json")
    warnings: list[str] = []
    blocking: list[str] = []
    for section in BLOCKING + NAMED:
        for path, vb, vn in _leaf_differences(section, b.get(section), n.get(section)):
            if path.split(".")[1:2] and section == "load" and path.split(".")[1] in IGNORED_LOAD:
                continue
            line = f"{path}: {_short(vb)} vs {_short(vn)}"
            (blocking if section in BLOCKING else warnings).append(line)
    if blocking:
        shown = blocking[:6] + ([f"and {len(blocking) - 6} more"] if len(blocking) > 6 else [])
        warnings.insert(0, "different plans: " + "; ".join(shown))
        return warnings, ["different plans"]
    return warnings, []


def _leaf_differences(path: str, a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _leaf_differences(f"{path}.{key}", a.get(key), b.get(key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _leaf_differences(f"{path}[{i}]", x, y)
        return out
    return [] if a == b else [(path, a, b)]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _show(label: str) -> str:
    return label or "(run)"
