"""loadplan: does the service hold its SLA under realistic load, where does it break, how much
capacity does it need for growth.

The public API is what ``__all__`` lists; every other module is private by convention.
"""

from __future__ import annotations

from loadplan.analysis.slo import judge
from loadplan.clock import Clock, FakeClock, MonotonicClock
from loadplan.engine.request import ErrorClass, Outcome, Request
from loadplan.errors import (
    GeneratorBoundError,
    LoadplanError,
    PlanError,
    RunDirError,
    TargetError,
)
from loadplan.plan.load import load_plan
from loadplan.plan.model import Plan
from loadplan.plan.workload import WorkloadSpec
from loadplan.results.result import RunResult
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.scenarios.runner import RunOutcome, execute
from loadplan.scenarios.session import SessionOutcome, run_session
from loadplan.schedule.arrivals import Arrivals
from loadplan.schedule.stages import RateProfile, Segment
from loadplan.verdict import Verdict, VerdictRow
from loadplan.workload.build import build_sampler

__version__ = "0.1.0"

__all__ = [
    "Arrivals",
    "Clock",
    "ErrorClass",
    "FakeClock",
    "GeneratorBoundError",
    "IntervalSnapshot",
    "LoadplanError",
    "MonotonicClock",
    "Outcome",
    "Plan",
    "PlanError",
    "RateProfile",
    "Request",
    "RunDirError",
    "RunOutcome",
    "RunResult",
    "Segment",
    "SessionOutcome",
    "TargetError",
    "Verdict",
    "VerdictRow",
    "WorkloadSpec",
    "__version__",
    "build_sampler",
    "execute",
    "judge",
    "load_plan",
    "run_session",
]
