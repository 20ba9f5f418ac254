"""Where a breakpoint stage broke: the SLA checked second by second along its staircase.

A ``BreakpointFinder`` is fed a run's seconds in order; in the breakpoint stage it checks each
whole second against the SLA (``slo.second_failures``) and, after ``consecutive`` failing seconds
in a row, has found the breakpoint. The step where that streak began is where the target broke;
the step before it is the last good one. The same finder serves twice: live, inside the
coordinator's ``BreakpointWatch`` (scenarios/), which stops the workers once it has found it, and
afterwards on the seconds read back from the run directory, so a run judged again finds the same
breakpoint it stopped at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loadplan.analysis.slo import second_failures
from loadplan.plan.scenario import StagePlan
from loadplan.plan.slo import SloSpec
from loadplan.results.stagebook import SecondRow
from loadplan.verdict import VerdictRow


@dataclass(frozen=True, slots=True)
class BreakpointResult:
    """What a breakpoint stage found.

    Attributes:
        stage: the stage's name.
        reached: True if the SLA broke before the staircase ran out.
        last_good_step: label of the last step before the breaking streak began ("" if none).
        last_good_rate: its rate, requests per second (None if the first step already broke).
        breaking_step: label of the step where the breaking streak began ("" if not reached).
        breaking_rate: its rate.
        at_s: when the run was stopped, seconds from its start.
        why: what the first failing second of the streak broke.
    """

    stage: str
    reached: bool
    last_good_step: str = ""
    last_good_rate: float | None = None
    breaking_step: str = ""
    breaking_rate: float | None = None
    at_s: float | None = None
    why: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "reached": self.reached,
            "last_good_step": self.last_good_step or None,
            "last_good_rate": self.last_good_rate,
            "breaking_step": self.breaking_step or None,
            "breaking_rate": self.breaking_rate,
            "stopped_at_s": self.at_s,
            "why": list(self.why),
        }

    def row(self) -> VerdictRow:
        """The verdict line: reported, not judged (a breakpoint is meant to break)."""
        if not self.reached:
            top = f"{self.last_good_rate:g} req/s" if self.last_good_rate else "no step ran"
            measured = f"not reached; SLA held up to {top}"
        elif self.last_good_rate is None:
            measured = f"broke at the first step ({self.breaking_rate:g} req/s)"
        else:
            measured = (
                f"last good {self.last_good_rate:g} req/s; broke at {self.breaking_rate:g} req/s"
                f" ({'; '.join(self.why)})"
            )
        return VerdictRow(
            "capacity under SLA", self.stage, "reported", measured, None, self.last_good_rate
        )


class BreakpointFinder:
    """Finds the breakpoint after ``stage.consecutive`` failing seconds in the breakpoint stage.

    Example::

        finder = BreakpointFinder(scenario.breakpoint, plan.slo)
        for row in seconds:
            if finder.check(row):
                break
        finder.result().last_good_rate     # 600.0
    """

    def __init__(self, stage: StagePlan, slo: SloSpec) -> None:
        self.stage = stage
        self.slo = slo
        self._streak = 0
        self._streak_label = ""
        self._why: tuple[str, ...] = ()
        self._last_seen = ""
        self._result: BreakpointResult | None = None

    @property
    def found(self) -> bool:
        return self._result is not None

    def check(self, row: SecondRow) -> bool:
        """Take the next second; True once the breakpoint is found (with this second or before)."""
        if self._result is not None:
            return True
        if row.label not in self.stage.labels or not row.full:
            return False
        self._last_seen = row.label
        failures = second_failures(row, self.slo)
        if not failures:
            self._streak = 0
            return False
        self._streak += 1
        if self._streak == 1:
            self._streak_label, self._why = row.label, tuple(failures)
        if self._streak < max(self.stage.consecutive, 1):
            return False
        self._result = self._found(row.end_s)
        return True

    def _found(self, at_s: float) -> BreakpointResult:
        labels = self.stage.labels
        broke = labels.index(self._streak_label)
        good = labels[broke - 1] if broke > 0 else ""
        return BreakpointResult(
            stage=self.stage.name,
            reached=True,
            last_good_step=good,
            last_good_rate=self.stage.rate_of(good)[0] if good else None,
            breaking_step=self._streak_label,
            breaking_rate=self.stage.rate_of(self._streak_label)[0],
            at_s=at_s,
            why=self._why,
        )

    def result(self) -> BreakpointResult:
        """What was found; if the run ended without breaking, the last step seen held."""
        if self._result is not None:
            return self._result
        last = self._last_seen
        rate = self.stage.rate_of(last)[0] if last else None
        return BreakpointResult(self.stage.name, False, last, rate)
