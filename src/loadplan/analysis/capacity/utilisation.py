"""The utilisation law's bound on throughput, from the target's scraped CPU.

Each step's service demand D (CPU seconds per request) is the target's CPU in cores over the
requests it completed per second (``StepFacts.cpu_ms_per_request``). By the utilisation law,
U = X * D, and U cannot pass the cores the target can use, so X <= cores / D. This bounds the
throughput from above and says nothing about latency: a service usually breaks its SLA well
before its CPU is full (queueing, a single loop's stalls), so the bound is reported as "at most",
never as the capacity.

Which D: the lowest measured at a step that held the SLA. D falls as load rises, since the
CPU a process spends whatever the load (timers, the metrics endpoint, the collector) is shared
by more requests; the lowest D under the SLA gives the least tight of the steps' bounds, which
is what an upper bound should be.

Which cores: the most CPU the scraped process used in any step, rounded up to whole cores (a
reading within ``CORE_JITTER`` past a whole core is that core: scrape timing, not a second
core); a process that never used more than one core is taken to have one (a single event loop
or thread cannot use more, and nothing in the run shows it could). The process may be allowed
more cores than it was seen using; the bound assumes it gets no more, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loadplan.analysis.capacity.bottleneck import StepFacts, whole_cores


@dataclass(frozen=True, slots=True)
class CpuBound:
    """X <= cores / D for one instance.

    Attributes:
        max_qps: cores / D, requests per second.
        cores: the cores assumed.
        cores_why: why that many, in words.
        cpu_ms_per_request: D, ms of CPU per request.
        at: the step D was measured at (``RUN_DIR:label``).
    """

    max_qps: float
    cores: int
    cores_why: str
    cpu_ms_per_request: float
    at: str

    @property
    def text(self) -> str:
        return (
            f"CPU allows at most {self.max_qps:,.0f} req/s per instance at "
            f"{self.cpu_ms_per_request:.3f} ms CPU per request (utilisation law X <= cores / D, "
            f"D at {self.at}; {self.cores} core{'s' if self.cores > 1 else ''}: "
            f"{self.cores_why}): an upper bound, not the capacity"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "max_qps": round(self.max_qps, 1),
            "cores": self.cores,
            "cores_why": self.cores_why,
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 4),
            "at": self.at,
            "text": self.text,
        }


def cpu_bound(steps: Iterable[tuple[str, StepFacts]]) -> CpuBound | None:
    """The bound from ``(source, facts)`` pairs; None when no step held the SLA with the
    target's CPU scraped."""
    pairs = list(steps)
    seen = [f.cpu_cores for _, f in pairs if f.cpu_cores is not None]
    demands = [
        (demand, source)
        for source, f in pairs
        if not f.breaks and (demand := f.cpu_ms_per_request) is not None and demand > 0
    ]
    if not seen or not demands:
        return None
    most = max(seen)
    cores = whole_cores(most)
    if cores == 1:
        why = f"the scraped process never used more than one (at most {most:.2f})"
    else:
        why = f"the most the scraped process used, {most:.2f}, rounded up to whole cores"
    demand, source = min(demands)
    return CpuBound(cores / demand * 1000, cores, why, demand, source)
