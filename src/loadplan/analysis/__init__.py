"""Analysis: what a finished (or killed) run means, read from its run directory alone.

Verdicts (``slo``), the capacity plan and comparisons read a ``RunResult`` and nothing else,
so any run can be judged, planned and compared again later. Nothing here imports the engine's
runner or the scenarios that made the run.
"""
