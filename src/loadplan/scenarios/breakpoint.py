"""The breakpoint stage's stop condition: the feedback loop from verdict back to the workers.

A ``BreakpointWatch`` is a runner ``Monitor``: the coordinator hands it every merged second and
it passes each to a ``BreakpointFinder`` (analysis/breakpoint.py); once the finder has found the
breakpoint, the watch answers "breakpoint reached", which stops the workers. What it found is
not kept here: the verdict finds it again from the run directory, with the same finder.
"""

from __future__ import annotations

from loadplan.analysis.breakpoint import BreakpointFinder
from loadplan.plan.scenario import StagePlan
from loadplan.plan.slo import SloSpec
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.results.stagebook import SecondRow

STOP_REASON = "breakpoint reached"


class BreakpointWatch:
    """Stops the run after ``stage.consecutive`` failing seconds in the breakpoint stage.

    Example::

        watch = BreakpointWatch(scenario.breakpoint, plan.slo)
        execute(plan, run_dir, meta, monitors=[watch])
    """

    def __init__(self, stage: StagePlan, slo: SloSpec) -> None:
        self._finder = BreakpointFinder(stage, slo)

    def check(self, snap: IntervalSnapshot) -> str | None:
        if self._finder.found or snap.stage not in self._finder.stage.labels:
            return None
        return STOP_REASON if self._finder.check(SecondRow.of(snap)) else None
