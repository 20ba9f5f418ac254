"""The capacity plan: run directories in, one plan out, every figure saying where it came from.

``plan_capacity`` reads only ``RunResult``s: the steps of their step and breakpoint stages
(``steps.py``), judged on whole-step figures for the max QPS under the SLA (``maxqps.py``), the
knee (``knee.py``), latency at any load inside the measured range from the steps themselves
(``latency.py``) and beyond it from a queueing model (``queueing.py``) only when it passes its
out-of-sample check (``validation.py``), the utilisation law's CPU bound (``utilisation.py``),
the fleet for each growth factor (``sizing.py``), a USL fit when there are enough load levels
(``usl.py``), cache sizing for the run's own workload (``cache.py``) and what broke first
(``bottleneck.py``).

Example::

    plan = plan_capacity([RunResult.load(Path("runs/x"))], CapacityOptions(peak_qps=1000))
    plan.max_qps.value, [row.instances for row in plan.growth]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadplan.analysis.capacity.bottleneck import Bottleneck, StepFacts, find_bottleneck
from loadplan.analysis.capacity.cache import CacheSizing, size_cache
from loadplan.analysis.capacity.knee import Knee, find_knee
from loadplan.analysis.capacity.latency import latency_curve
from loadplan.analysis.capacity.maxqps import MaxQps, breaks, max_qps
from loadplan.analysis.capacity.queueing import QueueModel
from loadplan.analysis.capacity.sizing import DEFAULT_GROWTH, GrowthRow, plan_growth
from loadplan.analysis.capacity.steps import Step, SweepLevel, collect_levels, collect_steps
from loadplan.analysis.capacity.usl import UslFit, fit_usl
from loadplan.analysis.capacity.utilisation import CpuBound, cpu_bound
from loadplan.analysis.capacity.validation import ModelCheck, check_model
from loadplan.analysis.judge import Judgement, judge_run
from loadplan.errors import CapacityError, LoadplanError
from loadplan.plan.model import Plan
from loadplan.plan.slo import PERCENTILES
from loadplan.plan.stages import StageKind, SweepStage
from loadplan.results.result import RunResult


@dataclass(frozen=True, slots=True)
class CapacityOptions:
    """What the plan is asked for.

    Attributes:
        peak_qps: today's peak; None takes the plan's ``[load] rate``.
        growth: growth factors beyond the defaults 1, 1.5, 2 and 3.
        headroom: share of each instance's capacity kept free.
        redundancy: instances that may be lost (1 = N+1).
        command: the command line, for the document's first line.
    """

    peak_qps: float | None = None
    growth: tuple[float, ...] = ()
    headroom: float = 0.3
    redundancy: int = 1
    command: str = ""


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """Everything the plan says (see the module docstring); ``to_json`` is capacity.json."""

    runs: tuple[str, ...]
    target: str
    plan: Plan
    options: CapacityOptions
    peak_qps: float
    peak_source: str
    steps: tuple[Step, ...] = field(repr=False)
    facts: tuple[StepFacts, ...]
    max_qps: MaxQps
    knee: Knee
    model_check: ModelCheck
    cpu: CpuBound | None
    growth: tuple[GrowthRow, ...]
    usl: UslFit | None
    usl_note: str
    usl_points: tuple[tuple[float, float], ...]
    cache: CacheSizing | None
    cache_note: str
    bottleneck: Bottleneck
    recommendations: tuple[str, ...]
    inconclusive: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def model(self) -> QueueModel | None:
        """The latency model when it passed its out-of-sample check, else None."""
        return self.model_check.usable

    def to_json(self) -> dict[str, Any]:
        slo = self.plan.slo
        bounds = slo.latency_bounds() if slo else {}
        top = max(f.offered_qps for f in self.facts) * 1.1
        prediction = self.model_check.to_json(curve_to=top)
        return {
            "command": self.options.command,
            "runs": list(self.runs),
            "target": self.target,
            "slo_text": _slo_text(self.plan),
            "slo_ms": bounds,
            "inconclusive": list(self.inconclusive),
            "notes": list(self.notes),
            "max_qps_under_slo": self.max_qps.to_json(),
            "knee_qps": self.knee.to_json()["qps"],
            "knee": self.knee.to_json(),
            "prediction": prediction,
            "cpu_bound": self.cpu.to_json() if self.cpu else None,
            "usl": self.usl.to_json() | {"points": _usl_points(self)} if self.usl else None,
            "usl_note": self.usl_note,
            "peak_qps": self.peak_qps,
            "peak_source": self.peak_source,
            "headroom": self.options.headroom,
            "redundancy": self.options.redundancy,
            "sizing_rule": (
                "instances = ceil(peak x growth / (max QPS x (1 - headroom))) + redundancy"
            ),
            "plan": [row.to_json() for row in self.growth],
            "cache": self.cache.to_json() if self.cache else None,
            "cache_note": self.cache_note,
            "bottleneck": self.bottleneck.to_json(),
            "recommendations": list(self.recommendations),
            "steps": [
                f.to_json() | {"source": s.source}
                for s, f in zip(self.steps, self.facts, strict=True)
            ],
        }


def _slo_text(plan: Plan) -> str:
    slo = plan.slo
    if slo is None:
        return "none"
    parts = [f"{name} <= {bound:g} ms" for name, bound in slo.latency_bounds().items()]
    if slo.error_rate is not None:
        parts.append(f"errors <= {slo.error_rate:.2%}")
    if slo.throughput is not None:
        parts.append(f"throughput >= {slo.throughput:.0%} of offered")
    return ", ".join(parts)


def _usl_points(plan: CapacityPlan) -> list[dict[str, float]]:
    return [{"n": round(n, 4), "x": round(x, 2)} for n, x in plan.usl_points]


def plan_capacity(
    results: Sequence[RunResult],
    options: CapacityOptions,
    judgements: Sequence[Judgement] = (),
) -> CapacityPlan:
    """The plan from ``results`` (one or more runs of the same plan). ``judgements``: the runs'
    judgements when the caller has them already (the suite has just judged its run), so the
    seconds are not replayed once more for them."""
    if not results:
        msg = "loadplan capacity: give at least one run directory"
        raise CapacityError(msg)
    first = results[0]
    plan = _plan_of(first)
    for other in results[1:]:
        _check_same_plan(first, plan, other)
    if plan.slo is None:
        msg = f"{first.run_dir}: its plan has no [slo]: a capacity under the SLA needs one"
        raise CapacityError(msg)
    slo = plan.slo
    if len(judgements) != len(results):
        # Each run against its own stages (a sweep run beside a staircase); the SLA is the same.
        judgements = [judge_run(r, _plan_of(r)) for r in results]
    steps: list[Step] = []
    facts: list[StepFacts] = []
    notes: list[str] = []
    inconclusive: list[str] = []
    levels: list[SweepLevel] = []
    for result, judgement in zip(results, judgements, strict=True):
        source = str(result.run_dir)
        if any(stage.kind is StageKind.SWEEP for stage in judgement.scenario.stages):
            # A sweep is a plan of its own: it has levels (for the USL), no steps.
            swept = collect_levels(judgement.scenario, result.seconds(), source)
            levels += swept
            recorded = f"{len(swept)} sweep levels"
        else:
            found = collect_steps(judgement.scenario, result.seconds(), source)
            steps += found
            facts += [_facts(step, judgement, result) for step in found]
            recorded = f"{len(found)} steps"
        if not result.complete:
            notes.append(
                f"{result.run_dir} is a partial run ({result.stop_reason}): planned from the "
                f"{recorded} it recorded"
            )
    if not steps:
        names = ", ".join(str(r.run_dir) for r in results)
        msg = (
            f"{names}: no step or breakpoint stage with recorded seconds; run a plan with a "
            "[[stages]] type = 'breakpoint' (loadplan suite has one) and plan from that"
        )
        raise CapacityError(msg)
    order = sorted(range(len(steps)), key=lambda i: steps[i].planned_qps)
    steps = [steps[i] for i in order]
    facts = [facts[i] for i in order]
    found_max = max_qps(steps, slo)
    bottleneck = find_bottleneck(facts)
    if bottleneck.inconclusive:
        inconclusive.append(
            "the generator fell behind at the first bad step: the breaking point describes the "
            "generator, not the target; move the generator to other cores or machines"
        )
    if found_max.lower_bound:
        notes.append(
            f"every step held the SLA: the max QPS is above {found_max.value:,.0f} req/s and the "
            "plan below is conservative; extend the staircase to find it"
        )
    knee = find_knee(steps)
    check = check_model(steps, found_max, slo)
    sourced = [(s.source, f) for s, f in zip(steps, facts, strict=True)]
    peak, peak_source = _peak(options, plan)
    growth = plan_growth(
        peak,
        found_max,
        latency_curve(sourced, check.usable),
        growth=tuple(sorted({*DEFAULT_GROWTH, *options.growth})),
        headroom=options.headroom,
        redundancy=options.redundancy,
    )
    usl, usl_note, usl_points = _usl(facts, levels)
    cache, cache_note = _cache(plan, first, judgements[0])
    recommendations = _recommend(bottleneck, growth, options, cache)
    return CapacityPlan(
        runs=tuple(str(r.run_dir) for r in results),
        target=plan.target.url,
        plan=plan,
        options=options,
        peak_qps=peak,
        peak_source=peak_source,
        steps=tuple(steps),
        facts=tuple(facts),
        max_qps=found_max,
        knee=knee,
        model_check=check,
        cpu=cpu_bound(sourced),
        growth=growth,
        usl=usl,
        usl_note=usl_note,
        usl_points=usl_points,
        cache=cache,
        cache_note=cache_note,
        bottleneck=bottleneck,
        recommendations=recommendations,
        inconclusive=tuple(inconclusive),
        notes=tuple(notes),
    )


def _plan_of(result: RunResult) -> Plan:
    if result.plan is None:
        msg = f"{result.run_dir}: meta.json holds no plan this loadplan can read; rerun the plan"
        raise CapacityError(msg)
    return result.plan


def _check_same_plan(first: RunResult, plan: Plan, other: RunResult) -> None:
    theirs = _plan_of(other)
    compared: list[tuple[str, object, object]] = [
        ("target", plan.target.url, theirs.target.url),
        ("workload", plan.workload.model_dump(), theirs.workload.model_dump()),
    ]
    # A concurrency sweep only feeds the USL: its own [slo] (or none) is never judged here.
    if not any(isinstance(stage, SweepStage) for stage in theirs.stages):
        compared.append(("slo", plan.slo, theirs.slo))
    differ = [name for name, a, b in compared if a != b]
    if differ:
        msg = (
            f"{other.run_dir}: ran another plan than {first.run_dir} ({', '.join(differ)} "
            "differ); plan one service and workload at a time"
        )
        raise CapacityError(msg)


def _facts(step: Step, judgement: Judgement, result: RunResult) -> StepFacts:
    fig = step.figures()
    slo = judgement.plan.slo
    assert slo is not None  # checked by plan_capacity
    totals = judgement.book.totals.get(step.label)
    health = totals.health(judgement.plan.generator.lag_bound * 1000) if totals else None
    target: dict[str, Any] = {}
    if judgement.metrics is not None:
        target = judgement.metrics.describe(step.start_s + step.transient_s, step.end_s)
    memory = target.get("memory_max_bytes")
    return StepFacts(
        label=step.label,
        offered_qps=fig.offered_qps,
        achieved_qps=fig.achieved_qps,
        p95_ms=fig.percentile_ms(PERCENTILES["p95"]),
        p99_ms=fig.percentile_ms(PERCENTILES["p99"]),
        mean_ms=fig.mean_ms(),
        error_rate=fig.error_rate,
        errors=dict(fig.errors),
        throughput=fig.throughput,
        backlog_max=fig.backlog_max,
        dropped=int(fig.errors.get("dropped", 0)),
        cpu_cores=target.get("cpu_cores"),
        memory_mb=None if memory is None else memory / 2**20,
        cache_hit_rate=target.get("cache_hit_rate"),
        generator_bound=bool(health and health.bound),
        generator_why=health.reasons if health else (),
        breaks=tuple(breaks(fig, slo)),
    )


def _peak(options: CapacityOptions, plan: Plan) -> tuple[float, str]:
    if options.peak_qps is not None:
        return options.peak_qps, "--peak"
    if plan.load.rate is not None:
        return float(plan.load.rate), "the plan's [load] rate"
    msg = "no peak: the plan has no [load] rate; pass --peak QPS (today's peak requests/s)"
    raise CapacityError(msg)


def _usl(
    facts: Sequence[StepFacts], levels: Sequence[SweepLevel]
) -> tuple[UslFit | None, str, tuple[tuple[float, float], ...]]:
    """The USL on a concurrency sweep when there is one (N = its users, X = the throughput it
    got), else on the open-loop steps that held the SLA (past it the target is overloaded, not
    scaling) with N from Little's law, N = X * R, R the step's mean latency."""
    if levels:
        points = [(float(lv.users), lv.step.figures().achieved_qps) for lv in levels]
        where = f"the {len(points)} levels of the concurrency sweep (N = users, X = completed/s)"
        short = f"{len(points)} sweep levels"
    else:
        points = []
        for f in facts:
            if not f.breaks and f.mean_ms is not None:
                points.append((f.achieved_qps * f.mean_ms / 1000, f.achieved_qps))
        where = (
            f"{len(points)} open-loop steps that held the SLA, N = X x R (Little's law, R the "
            "mean latency)"
        )
        short = f"{len(points)} steps held the SLA"
    pts = tuple(sorted(points))
    if len(pts) < 6:
        return (
            None,
            (
                f"no USL fit: {short}; the fit needs at least 6 load levels "
                f"(add {6 - len(pts)} with smaller steps, or a concurrency sweep)"
            ),
            pts,
        )
    try:
        fit = fit_usl([n for n, _ in pts], [x for _, x in pts])
    except (CapacityError, LoadplanError, ValueError) as exc:
        return None, f"no USL fit: {exc}", pts
    return fit, f"USL fitted on {where}.", pts


def _cache(plan: Plan, result: RunResult, judgement: Judgement) -> tuple[CacheSizing | None, str]:
    measured, where = judgement.cache.rate, judgement.cache.source
    floor = plan.slo.cache_hit_rate if plan.slo else None
    if plan.workload.source is None:
        return None, "no cache sizing: the plan sends one fixed request (no query workload)"
    try:
        from loadplan.workload.build import build_sampler

        base = Path(result.info.plan_file).parent if result.info.plan_file else Path.cwd()
        sampler = build_sampler(plan.workload, base)
    except (LoadplanError, OSError) as exc:
        return None, f"no cache sizing: the workload could not be rebuilt ({exc})"
    return size_cache(sampler.catalog.probs, measured, where, floor), ""


def _recommend(
    bottleneck: Bottleneck,
    growth: Sequence[GrowthRow],
    options: CapacityOptions,
    cache: CacheSizing | None,
) -> tuple[str, ...]:
    out = []
    two = next((r for r in growth if r.growth == 2.0), None)
    fleet = f"2x growth needs {two.instances} instances with N+{options.redundancy}" if two else ""
    first = bottleneck.first
    bad = bottleneck.first_bad
    if first == "generator":
        out.append("Measure again with more generator capacity before sizing the fleet.")
    elif first == "target CPU" and bad is not None:
        out.append(
            f"CPU-bound: {bad.cpu_cores:.2f} cores at {bad.offered_qps:,.0f} req/s; {fleet}, "
            "or cut CPU per request (profile the hot path) to need fewer."
        )
    elif first == "errors" and bad is not None:
        out.append(f"Errors set the limit ({bottleneck.evidence[1]}); {fleet}.")
    elif first == "connection cap":
        out.append(
            "The client's connection cap was reached before the target's: raise "
            "[client] connections (or the target's accept backlog) and measure again."
        )
    elif first == "cache hit collapse":
        out.append(f"The cache collapsed under load; size it first (see below); {fleet}.")
    elif fleet:
        out.append(f"{bottleneck.first.capitalize()} set the limit; {fleet}.")
    if cache is not None and cache.floor is not None and cache.size_for_floor is not None:
        out.append(
            f"Keep at least {cache.size_for_floor:,} cache entries per instance for the "
            f"{cache.floor:.0%} hit-rate floor (each instance's cache sees its own share of "
            "the traffic, so this is per cache)."
        )
    return tuple(out)
