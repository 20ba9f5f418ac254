"""The standard sign-off suite, as a list of stages.

Mirrors a pre-production sign-off: baseline (low load) -> ramp-up -> sustained (the target QPS for
the plan's duration) -> spike (k x peak) and recovery -> cache cold vs warm -> breakpoint. Rates
come from ``[load] rate`` (the target QPS) times the factors in ``[suite]``; durations from
``[suite]``, except the sustained stage's, which is ``[load] duration`` (2 h for a real
sign-off, a minute for a demo).

Example::

    plan = with_suite_stages(plan)       # plan.stages now holds the suite
    [s.name for s in plan.stages]
    # ['baseline', 'ramp-up', 'sustained', 'spike', 'cache-cold', 'cache-warm', 'breakpoint']
"""

from __future__ import annotations

from loadplan.errors import PlanError
from loadplan.plan.checks import check_plan
from loadplan.plan.model import Mode, Plan
from loadplan.plan.source import PlanSource
from loadplan.plan.stages import (
    BreakpointStage,
    ConstantStage,
    RampStage,
    SoakStage,
    SpikeStage,
    StageSpec,
    SuiteSpec,
)


def suite_stages(rate: float, sustained_s: float, suite: SuiteSpec) -> tuple[StageSpec, ...]:
    """The suite's stages for a target of ``rate`` requests per second (pure)."""
    skip = set(suite.skip)
    stages: list[StageSpec] = []
    low = rate * suite.baseline_factor
    if "baseline" not in skip:
        stages.append(
            ConstantStage(name="baseline", type="constant", rate=low, duration=suite.baseline)
        )
    if "ramp-up" not in skip:
        start = low if "baseline" not in skip else 0.0
        stages.append(
            RampStage(name="ramp-up", type="ramp", start=start, end=rate, duration=suite.ramp)
        )
    if "sustained" not in skip:
        stages.append(SoakStage(name="sustained", type="soak", rate=rate, duration=sustained_s))
    if "spike" not in skip:
        stages.append(
            SpikeStage(
                name="spike",
                type="spike",
                rate=rate,
                factor=suite.spike_factor,
                hold=suite.spike,
                recovery=suite.recovery,
            )
        )
    if "cache" not in skip:
        for name, flush in (("cache-cold", True), ("cache-warm", False)):
            stages.append(
                ConstantStage(
                    name=name, type="constant", rate=rate, duration=suite.cache, flush_cache=flush
                )
            )
    if "breakpoint" not in skip:
        stages.append(
            BreakpointStage(
                name="breakpoint",
                type="breakpoint",
                start=rate * suite.breakpoint_from,
                end=rate * max(suite.breakpoint_to, suite.breakpoint_from),
                step=rate * suite.breakpoint_step,
                step_duration=suite.step_duration,
                consecutive=suite.consecutive,
            )
        )
    return tuple(stages)


def with_suite_stages(plan: Plan, source: PlanSource | None = None) -> Plan:
    """``plan`` with the standard suite as its stages, unless it brings its own ``[[stages]]``."""
    if plan.stages:
        return plan
    where = source.where(("load", "rate")) + " " if source is not None else ""
    if plan.load.mode is not Mode.OPEN or plan.load.rate is None:
        msg = (
            f"{where}load.rate: the suite needs the target QPS in open loop; "
            "set load.rate (and load.duration for the sustained stage) or pass --rate"
        )
        raise PlanError(msg)
    if plan.slo is None:
        msg = (
            f"{source.name if source else 'plan'}: the suite ends in a verdict, so it needs "
            '[slo] objectives, e.g. p95 = "300ms", p99 = "500ms", error_rate = "0.1%"'
        )
        raise PlanError(msg)
    stages = suite_stages(plan.load.rate, plan.load.duration, plan.suite)
    if not stages:
        at = source.where(("suite", "skip")) + " " if source is not None else ""
        msg = f"{at}suite.skip: every stage is skipped; leave at least one"
        raise PlanError(msg)
    expanded = plan.model_copy(update={"stages": stages})
    problems = check_plan(expanded, source)
    if problems:
        raise PlanError(problems)
    return expanded


def with_sustained(plan: Plan, seconds: float, option: str = "--duration") -> Plan:
    """A plan bringing its own ``[[stages]]`` with every soak (sustained) stage ``seconds`` long:
    what ``--duration`` means for such a plan, as it means the sustained length for the suite."""
    if not any(isinstance(stage, SoakStage) for stage in plan.stages):
        msg = (
            f"{option} {seconds:g}s: sets the sustained stage's length, but the plan's "
            '[[stages]] have no type = "soak" stage; set the lengths in the plan instead'
        )
        raise PlanError(msg)
    stages = tuple(
        stage.model_copy(update={"duration": seconds}) if isinstance(stage, SoakStage) else stage
        for stage in plan.stages
    )
    return plan.model_copy(update={"stages": stages})
