"""``[[stages]]`` and ``[suite]``: the load profile as a person writes it.

A stage says what the rate does for a while; ``plan/scenario.py`` turns the list into one
``RateProfile`` (segments labelled with the stage names) plus what each stage is judged on.
``[suite]`` is the standard sign-off suite in a few numbers relative to ``[load] rate``;
``scenarios/suite.py`` expands it into stages.

Example::

    [[stages]]
    name = "warm"
    type = "constant"
    rate = 100
    duration = "30s"

    [[stages]]
    type = "ramp"
    from = 100
    to = 1000
    duration = "2m"

A ``sweep`` stage runs closed-loop users instead of a rate (a plan of its own)::

    [[stages]]
    type = "sweep"
    users_from = 1
    users_to = 32
    users_factor = 2        # 1, 2, 4, ... 32; or users_step = 4 for 1, 5, 9, ...
    step_duration = "10s"
"""

from __future__ import annotations

import enum
import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from loadplan.plan.fields import Seconds, Section

MAX_STEPS = 1000
"""A staircase longer than this is almost certainly a typo in ``step``."""

MAX_USERS = 100_000
"""A sweep's users are connections, one each; ``[client] connections`` has the same ceiling."""


class StageKind(enum.StrEnum):
    CONSTANT = "constant"
    RAMP = "ramp"
    STEP = "step"
    SPIKE = "spike"
    SOAK = "soak"
    BREAKPOINT = "breakpoint"
    SWEEP = "sweep"


class _Stage(Section):
    name: str = Field("", description="label carried on every second; default: the type")
    slo: bool | None = Field(
        None,
        description="judge this stage against [slo]; default: yes, except spike/breakpoint/sweep",
    )
    flush_cache: bool = Field(False, description="flush the target's cache as the stage starts")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if name and not all(c.isalnum() or c in "-_." for c in name):
            msg = "use letters, digits, '-', '_' or '.', e.g. \"ramp-up\""
            raise ValueError(msg)
        return name


class ConstantStage(_Stage):
    """A steady rate."""

    type: Literal["constant"]
    rate: float = Field(gt=0, description="requests per second")
    duration: Seconds = Field(gt=0)


class SoakStage(_Stage):
    """A long steady rate, judged for drift as well (``[slo] max_drift``)."""

    type: Literal["soak"]
    rate: float = Field(gt=0)
    duration: Seconds = Field(gt=0)


class RampStage(_Stage):
    """The rate moves linearly from ``from`` to ``to``."""

    type: Literal["ramp"]
    start: float = Field(alias="from", ge=0)
    end: float = Field(alias="to", ge=0)
    duration: Seconds = Field(gt=0)


def _step_count(start: float, end: float, step: float) -> float:
    # A tolerance so from = 0.1, to = 0.3, step = 0.1 includes 0.3 despite binary fractions.
    # A float, not an int: to = 1e300 with step = 1 must be refused by its count, not built.
    steps = (end - start) / step + 1e-9
    return float(math.floor(steps) + 1) if math.isfinite(steps) else math.inf


def _staircase(start: float, end: float, step: float) -> tuple[float, ...]:
    return tuple(start + i * step for i in range(int(_step_count(start, end, step))))


class _Staircase(_Stage):
    start: float = Field(alias="from", gt=0, description="rate of the first step")
    end: float = Field(alias="to", gt=0, description="rate of the last step (inclusive)")
    step: float = Field(gt=0, description="rate added per step")
    step_duration: Seconds = Field(gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> _Staircase:
        if self.end < self.start:
            msg = f"to = {self.end:g} is below from = {self.start:g}; a staircase goes up"
            raise ValueError(msg)
        count = _step_count(self.start, self.end, self.step)
        if count > MAX_STEPS:
            msg = f"{count:.4g} steps; at most {MAX_STEPS}: raise step or lower to"
            raise ValueError(msg)
        return self

    @property
    def rates(self) -> tuple[float, ...]:
        return _staircase(self.start, self.end, self.step)


class StepStage(_Staircase):
    """A staircase: ``from``, ``from + step``, ... up to ``to``, each for ``step_duration``."""

    type: Literal["step"]


class BreakpointStage(_Staircase):
    """A staircase that stops the run once the SLA fails ``consecutive`` seconds in a row.

    Must be the last stage: the run ends where the target breaks.
    """

    type: Literal["breakpoint"]
    consecutive: int = Field(3, ge=1, le=3600, description="failing seconds in a row that stop")


class SpikeStage(_Stage):
    """Jump from ``rate`` to ``factor`` x ``rate`` for ``hold``, then back to ``rate`` for
    ``recovery``, during which loadplan measures how long P95 takes to come back under bound."""

    type: Literal["spike"]
    rate: float = Field(gt=0, description="the peak rate the spike jumps from")
    factor: float = Field(2.0, gt=1)
    hold: Seconds = Field(gt=0)
    recovery: Seconds = Field(gt=0)


def user_levels(start: int, end: int, step: int | None, factor: float | None) -> tuple[int, ...]:
    """The users of each sweep step: ``start`` up to ``end`` (inclusive when a step lands on it),
    adding ``step`` or multiplying by ``factor``; a factor step adds at least one user, so
    1, 1.5 x ... gives 1, 2, 3, 4, 6, 9 instead of repeating 1."""
    levels = [start]
    while True:
        last = levels[-1]
        following = last + step if step is not None else max(last + 1, round(last * (factor or 2)))
        if following > end:
            return tuple(levels)
        levels.append(following)


class SweepStage(_Stage):
    """Closed-loop users in steps, for throughput against concurrency (the USL fit): each step
    runs its users for ``step_duration``, each user sending its next request when the last one
    answers (plus ``think``).

    A sweep sets users, not a rate, so a plan whose stages are sweeps holds nothing else
    (``plan/checks.py``). Steps last whole seconds: a worker records a second at a time, and
    each recorded second is at one concurrency.
    """

    type: Literal["sweep"]
    users_from: int = Field(ge=1, description="users of the first step")
    users_to: int = Field(ge=1, le=MAX_USERS, description="users of the last step (inclusive)")
    users_step: int | None = Field(None, ge=1, description="users added per step")
    users_factor: float | None = Field(None, gt=1, le=100, description="or: users multiplied")
    step_duration: Seconds = Field(ge=1, description="whole seconds")
    think: Seconds | None = Field(None, ge=0, description="pause per request; default: [load]")

    @field_validator("step_duration")
    @classmethod
    def _whole_seconds(cls, seconds: float) -> float:
        if not seconds.is_integer():
            msg = (
                "a sweep step lasts whole seconds (each recorded second is at one concurrency); "
                f'use e.g. "{max(1, round(seconds)):g}s"'
            )
            raise ValueError(msg)
        return seconds

    @model_validator(mode="after")
    def _bounds(self) -> SweepStage:
        if (self.users_step is None) == (self.users_factor is None):
            msg = (
                "give users_step (users added per step, e.g. 4) or users_factor "
                "(users multiplied per step, e.g. 2), one of the two"
            )
            raise ValueError(msg)
        if self.users_to < self.users_from:
            msg = (
                f"users_to = {self.users_to} is below users_from = {self.users_from}; "
                "a sweep goes up"
            )
            raise ValueError(msg)
        count = len(self.users)
        if count > MAX_STEPS:
            msg = f"{count} steps; at most {MAX_STEPS}: raise users_step or lower users_to"
            raise ValueError(msg)
        return self

    @property
    def users(self) -> tuple[int, ...]:
        return user_levels(self.users_from, self.users_to, self.users_step, self.users_factor)


StageSpec = Annotated[
    ConstantStage | SoakStage | RampStage | StepStage | SpikeStage | BreakpointStage | SweepStage,
    Field(discriminator="type"),
]

SUITE_STAGES = ("baseline", "ramp-up", "sustained", "spike", "cache", "breakpoint")


class SuiteSpec(Section):
    """``[suite]``: the standard suite, relative to ``[load] rate`` (the target QPS) and
    ``[load] duration`` (the sustained stage's length). Factors multiply ``[load] rate``."""

    baseline: Seconds = Field(60.0, gt=0)
    baseline_factor: float = Field(0.1, gt=0, le=1)
    ramp: Seconds = Field(60.0, gt=0)
    spike: Seconds = Field(30.0, gt=0)
    spike_factor: float = Field(2.0, gt=1)
    recovery: Seconds = Field(60.0, gt=0)
    cache: Seconds = Field(60.0, gt=0, description="each of cache-cold and cache-warm")
    breakpoint_from: float = Field(1.0, gt=0)
    breakpoint_step: float = Field(0.25, gt=0)
    breakpoint_to: float = Field(4.0, gt=0)
    step_duration: Seconds = Field(30.0, gt=0)
    consecutive: int = Field(3, ge=1)
    skip: tuple[str, ...] = ()

    @field_validator("skip")
    @classmethod
    def _known(cls, skip: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in skip if s not in SUITE_STAGES]
        if unknown:
            msg = f"unknown suite stage {unknown[0]!r}; choose from {', '.join(SUITE_STAGES)}"
            raise ValueError(msg)
        return skip
