"""A run's stages: the rate profile the workers play, and what each stage is judged on.

``Scenario.from_plan`` turns ``[[stages]]`` (or ``[load]`` alone, as one constant stage) into
one ``RateProfile`` whose segment labels carry the stage names ("baseline", "spike",
"spike-recovery", "breakpoint-3"), so every recorded second says which stage it belongs to, and
into ``StagePlan`` values that the coordinator (cache flushes, breakpoint stop) and the verdict
read. Everything here is arithmetic on the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadplan.errors import PlanError
from loadplan.plan.model import Mode, Plan
from loadplan.plan.stages import (
    BreakpointStage,
    ConstantStage,
    RampStage,
    SoakStage,
    SpikeStage,
    StageKind,
    StageSpec,
    StepStage,
)
from loadplan.schedule.stages import RateProfile


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage as the coordinator and the verdict see it.

    Attributes:
        name: the stage's name; its seconds carry ``name`` or ``name-<i>`` as their label.
        kind: constant, ramp, step, spike, soak or breakpoint.
        start_s: offset of the stage's start in the run.
        end_s: offset of its end.
        labels: the labels of its segments, in order.
        rates: planned (start, end) rate of each label, requests per second.
        judged: checked against [slo] percentiles, errors and throughput.
        flush_cache: the target's cache is flushed as the stage starts.
        consecutive: breakpoint only: failing seconds in a row that end the run.
        spike_end_s: spike only: when the jump ends and recovery is timed from.
    """

    name: str
    kind: StageKind
    start_s: float
    end_s: float
    labels: tuple[str, ...]
    rates: tuple[tuple[float, float], ...]
    judged: bool = True
    flush_cache: bool = False
    consecutive: int = 0
    spike_end_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def rate_of(self, label: str) -> tuple[float, float]:
        return self.rates[self.labels.index(label)]


@dataclass(frozen=True, slots=True)
class Scenario:
    """The stages of a run and the profile they make.

    Example::

        scenario = Scenario.from_plan(plan)
        scenario.profile.label_at(12.5)      # "ramp-up"
        scenario.stage_of("breakpoint-3")    # StagePlan(name="breakpoint", ...)
    """

    profile: RateProfile | None
    stages: tuple[StagePlan, ...]

    @property
    def duration_s(self) -> float:
        return self.stages[-1].end_s if self.stages else 0.0

    def stage_of(self, label: str) -> StagePlan | None:
        for stage in self.stages:
            if label in stage.labels:
                return stage
        return None

    @property
    def breakpoint(self) -> StagePlan | None:
        return next((s for s in self.stages if s.kind is StageKind.BREAKPOINT), None)

    @classmethod
    def from_plan(cls, plan: Plan) -> Scenario:
        load = plan.load
        if load.mode is Mode.CLOSED:
            only = StagePlan("closed", StageKind.CONSTANT, 0.0, load.duration, ("closed",), ())
            return cls(None, (only,))
        if not plan.stages:
            if load.rate is None:
                msg = "load.rate: missing; open loop needs a rate (or [[stages]])"
                raise PlanError(msg)
            spec: StageSpec = ConstantStage(type="constant", rate=load.rate, duration=load.duration)
            return cls._build((spec,))
        return cls._build(plan.stages)

    @classmethod
    def _build(cls, specs: tuple[StageSpec, ...]) -> Scenario:
        profiles = [stage_profile(spec) for spec in specs]
        stages: list[StagePlan] = []
        seen: dict[str, str] = {}
        start = 0.0
        for spec, profile in zip(specs, profiles, strict=True):
            name = spec.name or spec.type
            labels = tuple(seg.label for seg in profile.segments)
            for label in labels:
                if label in seen:
                    msg = (
                        f"stage {name!r}: its seconds would be labelled {label!r}, like those of "
                        f"stage {seen[label]!r}; rename one of them"
                    )
                    raise PlanError(msg)
                seen[label] = name
            kind = StageKind(spec.type)
            default_judged = kind not in (StageKind.SPIKE, StageKind.BREAKPOINT)
            stages.append(
                StagePlan(
                    name=name,
                    kind=kind,
                    start_s=start,
                    end_s=start + profile.duration,
                    labels=labels,
                    rates=tuple((seg.start, seg.end) for seg in profile.segments),
                    judged=default_judged if spec.slo is None else spec.slo,
                    flush_cache=spec.flush_cache,
                    consecutive=spec.consecutive if isinstance(spec, BreakpointStage) else 0,
                    spike_end_s=start + spec.hold if isinstance(spec, SpikeStage) else None,
                )
            )
            start += profile.duration
        total = profiles[0]
        for profile in profiles[1:]:
            total = total + profile
        return cls(total, tuple(stages))


def stage_profile(spec: StageSpec) -> RateProfile:
    """The rate curve of one stage, its segments labelled with the stage's name."""
    name = spec.name or spec.type
    if isinstance(spec, ConstantStage):
        return RateProfile.constant(spec.rate, spec.duration, name)
    if isinstance(spec, SoakStage):
        return RateProfile.soak(spec.rate, spec.duration, name)
    if isinstance(spec, RampStage):
        return RateProfile.ramp(spec.start, spec.end, spec.duration, name)
    if isinstance(spec, StepStage | BreakpointStage):
        return RateProfile.steps(spec.rates, spec.step_duration, name)
    return RateProfile.spike(spec.rate, spec.factor, spec.hold, spec.recovery, name)
