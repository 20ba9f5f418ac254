"""A run's stages: the rate profile the workers play, and what each stage is judged on.

``Scenario.from_plan`` turns ``[[stages]]`` (or ``[load]`` alone, as one constant stage) into
one ``RateProfile`` whose segment labels carry the stage names ("baseline", "spike",
"spike-recovery", "breakpoint-3"), so every recorded second says which stage it belongs to, and
into ``StagePlan`` values that the coordinator (cache flushes, breakpoint stop) and the verdict
read. A closed-loop run (``[load] mode = "closed"`` or sweep stages) has no rate profile: its
stages carry each label's users instead ("sweep-0" 1 user, "sweep-1" 2, ...), which the workers
play second by second. Everything here is arithmetic on the plan.
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
    SweepStage,
)
from loadplan.schedule.stages import RateProfile


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage as the coordinator and the verdict see it.

    Attributes:
        name: the stage's name; its seconds carry ``name`` or ``name-<i>`` as their label.
        kind: constant, ramp, step, spike, soak, breakpoint or sweep.
        start_s: offset of the stage's start in the run.
        end_s: offset of its end.
        labels: the labels of its segments, in order.
        rates: planned (start, end) rate of each label, requests per second; empty in closed
            loop.
        judged: checked against [slo] percentiles, errors and throughput.
        flush_cache: the target's cache is flushed as the stage starts.
        consecutive: breakpoint only: failing seconds in a row that end the run.
        spike_end_s: spike only: when the jump ends and recovery is timed from.
        spans: each label's (start, end) offset in the run.
        users: closed loop only: each label's concurrent users, over all workers.
        think_s: closed loop only: each user's pause between an answer and its next request.
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
    spans: tuple[tuple[float, float], ...] = ()
    users: tuple[int, ...] = ()
    think_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def rate_of(self, label: str) -> tuple[float, float]:
        return self.rates[self.labels.index(label)]

    def span_of(self, label: str) -> tuple[float, float]:
        """When ``label``'s seconds were planned, as offsets in the run."""
        return self.spans[self.labels.index(label)] if self.spans else (self.start_s, self.end_s)

    def users_of(self, label: str) -> int | None:
        """``label``'s users (closed loop), None for a stage with a rate."""
        return self.users[self.labels.index(label)] if self.users else None


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
            if load.users is None:  # LoadSpec's own validator refuses this; a plan built by hand
                msg = "load.users: missing; closed loop needs users: set load.users or --users"
                raise PlanError(msg)
            only = StagePlan(
                "closed",
                StageKind.CONSTANT,
                0.0,
                load.duration,
                ("closed",),
                (),
                spans=((0.0, load.duration),),
                users=(load.users,),
                think_s=load.think,
            )
            return cls(None, (only,))
        sweeps = [spec for spec in plan.stages if isinstance(spec, SweepStage)]
        if sweeps:
            if len(sweeps) < len(plan.stages):
                msg = "stages: a sweep runs closed-loop users; put it in a plan of its own"
                raise PlanError(msg)
            return cls._build_sweeps(tuple(sweeps), load.think)
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
            _claim(labels, name, seen)
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
                    spans=tuple((start + a, start + b) for _, a, b in profile.spans()),
                )
            )
            start += profile.duration
        total = profiles[0]
        for profile in profiles[1:]:
            total = total + profile
        return cls(total, tuple(stages))

    @classmethod
    def _build_sweeps(cls, specs: tuple[SweepStage, ...], think_s: float) -> Scenario:
        """Sweep stages one after the other, each step labelled ``<name>-<i>``; no profile."""
        stages: list[StagePlan] = []
        seen: dict[str, str] = {}
        start = 0.0
        for spec in specs:
            name = spec.name or spec.type
            users = spec.users
            labels = tuple(f"{name}-{i}" for i in range(len(users)))
            _claim(labels, name, seen)
            step = spec.step_duration
            end = start + step * len(users)
            spans = tuple((start + i * step, start + (i + 1) * step) for i in range(len(users)))
            stages.append(
                StagePlan(
                    name=name,
                    kind=StageKind.SWEEP,
                    start_s=start,
                    end_s=end,
                    labels=labels,
                    rates=(),
                    judged=False if spec.slo is None else spec.slo,
                    flush_cache=spec.flush_cache,
                    spans=spans,
                    users=users,
                    think_s=think_s if spec.think is None else spec.think,
                )
            )
            start = end
        return cls(None, tuple(stages))


def _claim(labels: tuple[str, ...], name: str, seen: dict[str, str]) -> None:
    """Record that stage ``name``'s seconds carry ``labels``; refuse a label another stage has."""
    for label in labels:
        if label in seen:
            msg = (
                f"stage {name!r}: its seconds would be labelled {label!r}, like those of "
                f"stage {seen[label]!r}; rename one of them"
            )
            raise PlanError(msg)
        seen[label] = name


def stage_profile(spec: StageSpec) -> RateProfile:
    """The rate curve of one stage, its segments labelled with the stage's name."""
    name = spec.name or spec.type
    if isinstance(spec, SweepStage):
        msg = f"stage {name!r}: a sweep runs users, not a rate; it has no rate profile"
        raise PlanError(msg)
    if isinstance(spec, ConstantStage):
        return RateProfile.constant(spec.rate, spec.duration, name)
    if isinstance(spec, SoakStage):
        return RateProfile.soak(spec.rate, spec.duration, name)
    if isinstance(spec, RampStage):
        return RateProfile.ramp(spec.start, spec.end, spec.duration, name)
    if isinstance(spec, StepStage | BreakpointStage):
        return RateProfile.steps(spec.rates, spec.step_duration, name)
    return RateProfile.spike(spec.rate, spec.factor, spec.hold, spec.recovery, name)
