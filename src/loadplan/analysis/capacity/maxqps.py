"""Max QPS under the SLA: where the staircase crosses the SLA's bounds, with an interval.

A breakpoint stage stops on a rule about seconds ("k bad seconds in a row"), which is a
stopping rule, not a capacity estimate: a step can hold its seconds and still break the SLA
over the whole step, or the reverse. Here each step is judged on its whole-step figures (merged
HDR intervals, transient left out, see ``steps.py``), the last step that holds every bound and
the first that breaks one bracket the capacity, and each broken objective is interpolated
linearly in the offered rate between the two: the lowest crossing is the estimate, and its
objective is the *limiting* one.

The interval is a moving-block bootstrap over the two bracketing steps' seconds (blocks of
``BLOCK_S`` seconds, ``REPLICATES`` replicates, a fixed seed so the same run gives the same
interval): each replicate rebuilds both steps' figures from resampled seconds and crosses again;
the 2.5th and 97.5th percentiles of the crossings bound the estimate. It covers the noise of the
measurement at those two rates, not a target whose speed drifts between runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from loadplan.analysis.capacity.steps import Step, StepFigures, StepSecond, figures
from loadplan.analysis.resample import BLOCK_S, blocks
from loadplan.errors import CapacityError
from loadplan.plan.slo import PERCENTILES, SloSpec

REPLICATES = 200
SEED = 20261203


@dataclass(frozen=True, slots=True)
class MaxQps:
    """The estimate.

    Attributes:
        value: max offered rate per instance at which every bound holds, req/s.
        low: 2.5th percentile of the bootstrap crossings.
        high: 97.5th percentile.
        last_good: the last step that held (its source, ``RUN_DIR:label``).
        first_bad: the first that broke ("" when every step held).
        limiting: the objective whose crossing is lowest ("p95", "error rate", ...).
        lower_bound: True when every step held: the capacity is above ``value``.
    """

    value: float
    low: float
    high: float
    last_good: str
    first_bad: str
    limiting: str
    lower_bound: bool = False

    def to_json(self) -> dict[str, Any]:
        if self.lower_bound:
            method = (
                f"Every step held the SLA: the max is above the top step ({self.last_good}); "
                "extend the staircase to bound it."
            )
        else:
            method = (
                f"Interpolated between the last good step ({self.last_good}) and the first bad "
                f"one ({self.first_bad}), where {self.limiting} crosses its bound; interval from "
                f"a moving-block bootstrap ({BLOCK_S} s blocks, {REPLICATES} replicates) over "
                "both steps' seconds; each step's first seconds are left out as transient."
            )
        return {
            "value": round(self.value, 1),
            "low": round(self.low, 1),
            "high": round(self.high, 1),
            "last_good": self.last_good,
            "first_bad": self.first_bad or None,
            "limiting": self.limiting or None,
            "lower_bound": self.lower_bound,
            "method": method,
        }


def objective_values(fig: StepFigures, slo: SloSpec) -> dict[str, tuple[float | None, float]]:
    """Each objective's (value, bound), oriented so that value <= bound holds it."""
    out: dict[str, tuple[float | None, float]] = {}
    for name, bound in slo.latency_bounds().items():
        out[name] = (fig.percentile_ms(PERCENTILES[name]), bound)
    if slo.error_rate is not None:
        out["error rate"] = (fig.error_rate, slo.error_rate)
    if slo.throughput is not None:
        # Held when completed/offered >= floor: as a shortfall, held when <= 1 - floor.
        short = None if fig.throughput is None else 1.0 - fig.throughput
        out["throughput"] = (short, 1.0 - slo.throughput)
    return out


def breaks(fig: StepFigures, slo: SloSpec) -> list[str]:
    """What a step's whole-step figures break, in words (empty: it held)."""
    if fig.latency.get_total_count() == 0 and fig.offered_qps > 0:
        return ["no answers"]
    out = []
    for name, (value, bound) in objective_values(fig, slo).items():
        if value is None or value > bound:
            out.append(_describe(name, value, bound))
    return out


def _describe(name: str, value: float | None, bound: float) -> str:
    if value is None:
        return f"{name}: no data"
    if name == "error rate":
        return f"errors {value:.2%} > {bound:.2%}"
    if name == "throughput":
        return f"completed {1 - value:.1%} of offered < {1 - bound:.0%}"
    return f"{name} {value:.1f} ms > {bound:g} ms"


def max_qps(steps: Sequence[Step], slo: SloSpec) -> MaxQps:
    """Max QPS under ``slo`` from ``steps`` (any order; sorted by rate here)."""
    if not steps:
        msg = (
            "no step or breakpoint stage in the run: add a [[stages]] type = 'breakpoint' "
            "(or 'step') that passes the expected capacity"
        )
        raise CapacityError(msg)
    ordered = sorted(steps, key=lambda s: s.planned_qps)
    figs = [s.figures() for s in ordered]
    bad_at = next((i for i, f in enumerate(figs) if breaks(f, slo)), None)
    if bad_at == 0:
        first = ordered[0]
        msg = (
            f"{first.source}: the first step ({first.planned_qps:g} req/s) already broke the SLA "
            f"({'; '.join(breaks(figs[0], slo))}); start the staircase lower"
        )
        raise CapacityError(msg)
    if bad_at is None:
        top = ordered[-1]
        rate = figs[-1].offered_qps
        return MaxQps(rate, rate, rate, top.source, "", "", lower_bound=True)
    good, bad = ordered[bad_at - 1], ordered[bad_at]
    value, limiting = crossing(figs[bad_at - 1], figs[bad_at], slo)
    rng = np.random.default_rng(SEED)
    crossings = []
    for _ in range(REPLICATES):
        g = _resampled(good.steady, rng)
        b = _resampled(bad.steady, rng)
        crossings.append(crossing(g, b, slo)[0])
    low, high = (float(v) for v in np.percentile(crossings, [2.5, 97.5]))
    return MaxQps(value, min(low, value), max(high, value), good.source, bad.source, limiting)


def _resampled(seconds: Sequence[StepSecond], rng: np.random.Generator) -> StepFigures:
    picked = [seconds[i] for i in blocks(len(seconds), BLOCK_S, rng)]
    return figures(picked)


def crossing(good: StepFigures, bad: StepFigures, slo: SloSpec) -> tuple[float, str]:
    """The lowest rate where an objective, linear in rate between the two steps, reaches its
    bound; objectives that hold at both steps do not cross. Clamped to the bracket."""
    r0, r1 = good.offered_qps, bad.offered_qps
    best, name = r1, ""
    g_values, b_values = objective_values(good, slo), objective_values(bad, slo)
    for objective, (v1, bound) in b_values.items():
        v0 = g_values[objective][0]
        if v1 is not None and v1 <= bound:
            continue
        if v0 is None or v1 is None or v1 <= v0:
            at = r0 if v0 is None or v0 > bound else r1
        else:
            at = r0 + (bound - v0) / (v1 - v0) * (r1 - r0)
        at = min(max(at, min(r0, r1)), max(r0, r1))
        if at < best or not name:
            best, name = at, objective
    return best, name
