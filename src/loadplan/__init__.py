"""loadplan: does the service hold its SLA under realistic load, where does it break, how much
capacity does it need for growth.

The public API is what ``__all__`` lists; every other module is private by convention.
"""

from __future__ import annotations

from loadplan.clock import Clock, FakeClock, MonotonicClock
from loadplan.engine.request import ErrorClass, Outcome, Request
from loadplan.errors import (
    GeneratorBoundError,
    LoadplanError,
    PlanError,
    RunDirError,
    TargetError,
)
from loadplan.verdict import Verdict, VerdictRow

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "ErrorClass",
    "FakeClock",
    "GeneratorBoundError",
    "LoadplanError",
    "MonotonicClock",
    "Outcome",
    "PlanError",
    "Request",
    "RunDirError",
    "TargetError",
    "Verdict",
    "VerdictRow",
    "__version__",
]
