"""The steps of a staircase, read back from a run: what the capacity models are fitted to.

A *step* is one label of a ``step`` or ``breakpoint`` stage: a constant offered rate held for
``step_duration``. Each keeps its seconds (counts and the latency histogram of each), so that
whole-step figures can be made from merged HDR intervals, and resampled for intervals.

A *sweep level* is one label of a ``sweep`` stage: a number of closed-loop users held for
``step_duration``; its throughput against its users is what the USL is fitted to.

A step's first seconds are left out as *transient*: the target's queues (and the generator's
connection pool) need a moment to settle at a new rate, and those seconds describe the jump,
not the rate. ``transient_s`` is max(2 s, 10 % of the step), and never more than half of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from loadplan.engine.request import ErrorClass
from loadplan.plan.scenario import Scenario, StagePlan
from loadplan.plan.stages import StageKind
from loadplan.results.histogram import merged, new_histogram
from loadplan.results.snapshot import IntervalSnapshot

STEP_KINDS = (StageKind.STEP, StageKind.BREAKPOINT)
MIN_TRANSIENT_S = 2.0
TRANSIENT_SHARE = 0.10


@dataclass(frozen=True, slots=True)
class StepSecond:
    """One whole second of a step.

    Attributes:
        start_s: its start, seconds from the run's start.
        due: requests due in it.
        completed: requests that ended in it.
        ok: of those, answered 1xx-3xx.
        errors: failed requests by class.
        backlog: requests waiting for a connection at its end.
        latency: its latency histogram (µs, from the intended send time).
    """

    start_s: float
    due: int
    completed: int
    ok: int
    errors: Mapping[str, int]
    backlog: int
    latency: HdrHistogram

    @classmethod
    def of(cls, snap: IntervalSnapshot) -> StepSecond:
        failed = {k: v for k, v in snap.errors.items() if k != ErrorClass.OK.value and v}
        return cls(snap.start_s, snap.due, snap.completed, snap.ok, failed, snap.backlog,
                   snap.latency)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    """One step and its seconds.

    Attributes:
        label: the step's label ("breakpoint-3").
        stage: the stage it belongs to.
        source: where it came from, ``RUN_DIR:label``.
        planned_qps: the planned rate, requests per second.
        start_s: the step's planned start in its run.
        end_s: its planned end.
        seconds: its whole seconds, in order.
    """

    label: str
    stage: str
    source: str
    planned_qps: float
    start_s: float
    end_s: float
    seconds: tuple[StepSecond, ...] = field(repr=False)

    @property
    def transient_s(self) -> float:
        length = self.end_s - self.start_s
        return min(max(MIN_TRANSIENT_S, TRANSIENT_SHARE * length), length / 2)

    @property
    def steady(self) -> tuple[StepSecond, ...]:
        """The seconds after the transient (all of them if that would leave none)."""
        kept = tuple(s for s in self.seconds if s.start_s >= self.start_s + self.transient_s)
        return kept or self.seconds

    @property
    def offered_qps(self) -> float:
        steady = self.steady
        return sum(s.due for s in steady) / max(len(steady), 1)

    def figures(self) -> StepFigures:
        return figures(self.steady)


@dataclass(frozen=True, slots=True)
class StepFigures:
    """Whole-step figures over a set of seconds (merged exactly: counts and buckets add)."""

    seconds: int
    offered_qps: float
    achieved_qps: float
    latency: HdrHistogram
    error_rate: float | None
    throughput: float | None
    errors: Mapping[str, int]
    backlog_max: int

    def percentile_ms(self, q: float) -> float | None:
        if self.latency.get_total_count() == 0:
            return None
        return float(self.latency.get_value_at_percentile(q)) / 1000

    def mean_ms(self) -> float | None:
        if self.latency.get_total_count() == 0:
            return None
        return float(self.latency.get_mean_value()) / 1000


def figures(seconds: Sequence[StepSecond]) -> StepFigures:
    n = max(len(seconds), 1)
    due = sum(s.due for s in seconds)
    completed = sum(s.completed for s in seconds)
    ok = sum(s.ok for s in seconds)
    errors: dict[str, int] = {}
    for s in seconds:
        for k, v in s.errors.items():
            errors[k] = errors.get(k, 0) + v
    latency = merged([s.latency for s in seconds]) if seconds else new_histogram()
    return StepFigures(
        seconds=len(seconds),
        offered_qps=due / n,
        achieved_qps=completed / n,
        latency=latency,
        error_rate=(completed - ok) / completed if completed else None,
        throughput=min(completed / due, 1.0) if due else None,
        errors=errors,
        backlog_max=max((s.backlog for s in seconds), default=0),
    )


def step_stages(scenario: Scenario) -> tuple[StagePlan, ...]:
    return tuple(s for s in scenario.stages if s.kind in STEP_KINDS)


def collect_steps(
    scenario: Scenario, seconds: Iterable[IntervalSnapshot], source: str
) -> tuple[Step, ...]:
    """The steps of ``scenario``'s step and breakpoint stages, from a run's merged seconds.

    Only whole seconds inside a step's planned span are kept (the run's last, partial second
    and a stopped breakpoint's remainder are not); steps without any are left out.
    """
    return tuple(
        Step(label, stage.name, f"{source}:{label}", stage.rates[i][0], start, end, got)
        for stage, i, label, start, end, got in _labelled(step_stages(scenario), seconds)
    )


def _labelled(
    stages: Sequence[StagePlan], seconds: Iterable[IntervalSnapshot]
) -> list[tuple[StagePlan, int, str, float, float, tuple[StepSecond, ...]]]:
    """Each label of ``stages`` with its planned span and the whole seconds recorded in it
    (labels without any are left out)."""
    spans: dict[str, tuple[StagePlan, int, float, float]] = {}
    for stage in stages:
        length = stage.duration_s / len(stage.labels)
        for i, label in enumerate(stage.labels):
            start = stage.start_s + i * length
            spans[label] = (stage, i, start, start + length)
    kept: dict[str, list[StepSecond]] = {label: [] for label in spans}
    for snap in seconds:
        if snap.stage in kept and snap.end_s - snap.start_s >= 0.99:
            kept[snap.stage].append(StepSecond.of(snap))
    return [
        (stage, i, label, start, end, tuple(kept[label]))
        for label, (stage, i, start, end) in spans.items()
        if kept[label]
    ]


@dataclass(frozen=True, slots=True)
class SweepLevel:
    """One level of a concurrency sweep.

    Attributes:
        users: its closed-loop users, over all workers.
        step: its seconds (``planned_qps`` 0: a closed loop has no planned rate).
    """

    users: int
    step: Step


def collect_levels(
    scenario: Scenario, seconds: Iterable[IntervalSnapshot], source: str
) -> tuple[SweepLevel, ...]:
    """The levels of ``scenario``'s sweep stages, from a run's merged seconds (whole seconds
    inside each level's planned span; levels without any are left out)."""
    sweeps = [stage for stage in scenario.stages if stage.kind is StageKind.SWEEP]
    return tuple(
        SweepLevel(
            stage.users[i], Step(label, stage.name, f"{source}:{label}", 0.0, start, end, got)
        )
        for stage, i, label, start, end, got in _labelled(sweeps, seconds)
    )
