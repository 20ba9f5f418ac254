"""What broke first, and why: the facts at the last good step and the first bad one.

A capacity figure alone does not tell an engineer what to change. Between the last step that
held the SLA and the first that did not, something ran out; the candidates, each decided from
figures the run recorded:

* **the generator**: it fell behind at the first bad step (schedule lag, its CPU). Then the
  run is inconclusive: the numbers describe the generator, and nothing is blamed on the target.
* **target CPU**: its processes used 90 % or more of the whole cores they were using
  (``[scrape]`` process CPU), e.g. 0.97 cores of a single-threaded service;
* **errors**: the error-rate bound broke; the class that grew most is named (timeouts mean a
  queue, refused or reset connections an accept backlog or a crash, 5xx the application);
* **the connection cap**: requests waited for one of the client's connections (``backlog``)
  or were dropped: the target's concurrency, not only its speed, was the limit;
* **cache hit collapse**: the hit rate fell by a fifth or more from the last good step, so
  more requests did the full work;
* **memory**: resident memory grew by a fifth or more between the two steps;
* **latency** itself, when none of the above moved: queueing inside the target (a lock, a
  pool, an I/O dependency) that the run's metrics do not show.

Every candidate that applies is listed with its values at both steps; the first in the order
above that applies is ``first``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CPU_SATURATED = 0.9
"""A share of the cores in use at which the target's CPU counts as saturated."""
CORE_JITTER = 0.05
"""How far past a whole core a CPU reading may be and still be that core: CPU over a step is a
difference of scraped counters over a difference of scrape times, and a process held to one
core can read a few thousandths over it when saturated."""
COLLAPSE = 0.8
"""Hit rate (or its inverse for memory growth) ratio between the steps that counts as a move."""


@dataclass(frozen=True, slots=True)
class StepFacts:
    """One step of a staircase (or sweep), in the figures a bottleneck is decided from.

    Attributes:
        label: the step's label ("breakpoint-3").
        offered_qps: requests due per second in the step.
        achieved_qps: requests completed per second.
        p95_ms: whole-step P95 latency (from the intended send time).
        p99_ms: whole-step P99.
        mean_ms: whole-step mean latency (Little's law's R for the USL on open-loop steps).
        error_rate: failed / completed.
        errors: failed requests by class (``ok`` left out).
        throughput: completed / offered.
        backlog_max: most requests waiting for a connection at a second's end.
        dropped: requests dropped while the backlog was full.
        cpu_cores: the target's CPU over the step, in cores (None unscraped).
        memory_mb: the target's peak resident memory in the step, MiB (None unscraped).
        cache_hit_rate: the target's cache hit rate in the step (None unknown).
        generator_bound: the generator fell behind in this step.
        generator_why: why, in words.
        breaks: which SLA objectives the step broke ("p95 79.9 ms > 60 ms", ...); empty if
            it held.
    """

    label: str
    offered_qps: float
    achieved_qps: float
    p95_ms: float | None
    p99_ms: float | None
    error_rate: float | None
    errors: Mapping[str, int] = field(default_factory=dict)
    throughput: float | None = None
    backlog_max: int = 0
    dropped: int = 0
    cpu_cores: float | None = None
    memory_mb: float | None = None
    cache_hit_rate: float | None = None
    generator_bound: bool = False
    generator_why: tuple[str, ...] = ()
    mean_ms: float | None = None
    breaks: tuple[str, ...] = ()

    @property
    def cpu_ms_per_request(self) -> float | None:
        """D, the target's CPU time per completed request in ms (cores / completed per
        second, the utilisation law's service demand); None unscraped or with no answers."""
        if self.cpu_cores is None or self.achieved_qps <= 0:
            return None
        return self.cpu_cores / self.achieved_qps * 1000

    def to_json(self) -> dict[str, Any]:
        demand = self.cpu_ms_per_request
        return {
            "label": self.label,
            "offered_qps": round(self.offered_qps, 2),
            "achieved_qps": round(self.achieved_qps, 2),
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "error_rate": self.error_rate,
            "errors": dict(self.errors),
            "throughput": self.throughput,
            "backlog_max": self.backlog_max,
            "dropped": self.dropped,
            "cpu_cores": self.cpu_cores,
            "cpu_ms_per_request": None if demand is None else round(demand, 4),
            "memory_mb": self.memory_mb,
            "cache_hit_rate": self.cache_hit_rate,
            "generator_bound": self.generator_bound,
            "breaks": list(self.breaks),
        }


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """What broke first between ``last_good`` and ``first_bad``.

    Attributes:
        first: the first cause that applies ("generator", "target CPU", "errors",
            "connection cap", "cache hit collapse", "memory", "latency"), or "none" when no
            step broke the SLA.
        evidence: one sentence per cause that applies, with values at both steps.
        last_good: the last step that held the SLA (None if the first step broke).
        first_bad: the first step that broke it (None if none did).
        inconclusive: True when the generator, not the target, was the limit.
    """

    first: str
    evidence: tuple[str, ...]
    last_good: StepFacts | None
    first_bad: StepFacts | None
    inconclusive: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "evidence": list(self.evidence),
            "inconclusive": self.inconclusive,
            "last_good": self.last_good.to_json() if self.last_good else None,
            "first_bad": self.first_bad.to_json() if self.first_bad else None,
        }


def find_bottleneck(steps: Sequence[StepFacts]) -> Bottleneck:
    """The first step that broke the SLA, the one before it, and what ran out between them."""
    bad_at = next((i for i, s in enumerate(steps) if s.breaks), None)
    if bad_at is None:
        top = steps[-1] if steps else None
        held: tuple[str, ...] = ()
        if top is not None:
            held = (f"every step held the SLA, up to {top.offered_qps:,.0f} req/s ({top.label})",)
        return Bottleneck("none", held, top, None)
    bad = steps[bad_at]
    good = steps[bad_at - 1] if bad_at > 0 else None
    causes: list[tuple[str, str]] = []
    if bad.generator_bound:
        why = "; ".join(bad.generator_why) or "it fell behind"
        text = f"the generator, not the target, was the limit at {_at(bad)}: {why}"
        causes.append(("generator", text))
    causes += _target_causes(good, bad)
    sla = f"{_at(bad)} broke the SLA: {'; '.join(bad.breaks)}"
    if not causes:
        causes.append(
            ("latency", "no resource the run measured ran out: the queue is inside the target")
        )
    first = causes[0][0]
    evidence = (sla, *(text for _, text in causes))
    return Bottleneck(first, evidence, good, bad, inconclusive=first == "generator")


def whole_cores(cpu_cores: float) -> int:
    """The whole cores a process reading ``cpu_cores`` was using (at least one): its reading
    rounded up, past ``CORE_JITTER`` of a core only."""
    return max(1, math.ceil(cpu_cores - CORE_JITTER))


def _target_causes(good: StepFacts | None, bad: StepFacts) -> list[tuple[str, str]]:
    out = []
    if bad.cpu_cores is not None:
        whole = whole_cores(bad.cpu_cores)
        if bad.cpu_cores >= CPU_SATURATED * whole:
            before = ""
            if good is not None and good.cpu_cores is not None:
                before = f" (last good {_at(good)}: {good.cpu_cores:.2f})"
            text = f"CPU-bound: the target used {bad.cpu_cores:.2f} cores of {whole} at {_at(bad)}"
            out.append(("target CPU", text + before))
    if any("error" in b for b in bad.breaks) and bad.errors:
        cls, n = max(bad.errors.items(), key=lambda kv: kv[1])
        rate = f"{bad.error_rate:.2%}" if bad.error_rate is not None else "?"
        before = f"; {good.error_rate:.2%} at {_at(good)}" if good and good.error_rate else ""
        out.append(("errors", f"errors {rate} at {_at(bad)}, mostly {cls} ({n}){before}"))
    if bad.backlog_max > 0 or bad.dropped > 0:
        text = (
            f"requests waited for a connection at {_at(bad)} (up to {bad.backlog_max} "
            f"waiting, {bad.dropped} dropped): the client's connection cap was reached"
        )
        out.append(("connection cap", text))
    if (
        good is not None
        and good.cache_hit_rate
        and bad.cache_hit_rate is not None
        and bad.cache_hit_rate < COLLAPSE * good.cache_hit_rate
    ):
        text = (
            f"the cache hit rate fell from {good.cache_hit_rate:.1%} at {_at(good)} to "
            f"{bad.cache_hit_rate:.1%} at {_at(bad)}"
        )
        out.append(("cache hit collapse", text))
    if (
        good is not None
        and good.memory_mb
        and bad.memory_mb is not None
        and bad.memory_mb * COLLAPSE > good.memory_mb
    ):
        text = (
            f"resident memory grew from {good.memory_mb:,.0f} MiB at {_at(good)} to "
            f"{bad.memory_mb:,.0f} MiB at {_at(bad)}"
        )
        out.append(("memory", text))
    return out


def _at(step: StepFacts | None) -> str:
    return "-" if step is None else f"{step.offered_qps:,.0f} req/s ({step.label})"
