"""Whether the latency model may speak: fitted on the low-load steps, checked on the rest.

A queueing model fitted to a curve always fits that curve; what it says beyond the steps it was
fitted on is the claim worth checking. So the model is fitted on the steps at or under
``FIT_SHARE`` of the measured max QPS under the SLA, and checked out of sample on what the run
measured above them: its max QPS under the SLA against the measured max, and its P95 at each
later step that held the SLA against that step's whole-step P95. If the max is further off than
``MAX_QPS_LIMIT`` or any of those P95s further than ``P95_LIMIT``, the model does not describe
this target (a service that stays flat and then collapses, rather than queueing, is the usual
case: the low-load steps cannot locate the collapse) and it is *refused*: the plan makes no model
prediction anywhere, and says why with the numbers. The limits are issue #12's goal for the
model; they are not loosened to let a model through, since a model that passed only by a looser
rule would be trusted where it was never shown to hold.

A model that cannot be checked is refused too: fewer than two steps at or under the share (it
cannot be fitted out of sample), or a fit that fails. So is one the steps do not pin down: when
the fits they cannot tell from the best (``QueueModel.alike``) put the max QPS more than
``MAX_QPS_LIMIT`` from the best fit's own, a pass of the other checks would be luck, the best of
many capacities that fit as well, not a capacity found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from loadplan.analysis.capacity.maxqps import MaxQps, breaks
from loadplan.analysis.capacity.queueing import QueueModel, fit_queue
from loadplan.analysis.capacity.steps import Step
from loadplan.plan.slo import PERCENTILES, SloSpec

FIT_SHARE = 0.6
"""The model is fitted on steps at or under this share of the measured max QPS; the rest are
out of sample."""
MAX_QPS_LIMIT = 0.10
"""How far (relative) the model's max QPS under the SLA may be from the measured max, and the
fits the steps cannot tell from the model from the model's own max."""
P95_LIMIT = 0.15
"""How far (relative) the model's P95 may be from a held-out step's measured P95."""

NOT_PREDICTED = "latency beyond the measured steps is not predicted"
CURVE_POINTS = 40


@dataclass(frozen=True, slots=True)
class HeldOut:
    """One step above the fitted share that held the SLA, and the model's P95 there.

    Attributes:
        source: the step (``RUN_DIR:label``).
        offered_qps: its offered rate.
        measured_ms: its whole-step P95.
        predicted_ms: the model's P95 at that rate (None: the model is saturated there).
    """

    source: str
    offered_qps: float
    measured_ms: float
    predicted_ms: float | None

    @property
    def error(self) -> float | None:
        """(predicted - measured) / measured; None when the model has no value (saturated),
        which is further off than any limit."""
        if self.predicted_ms is None:
            return None
        return (self.predicted_ms - self.measured_ms) / self.measured_ms

    @property
    def within(self) -> bool:
        return self.error is not None and abs(self.error) <= P95_LIMIT

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "offered_qps": round(self.offered_qps, 1),
            "measured_ms": round(self.measured_ms, 3),
            "predicted_ms": None if self.predicted_ms is None else round(self.predicted_ms, 3),
            "error": None if self.error is None else round(self.error, 4),
        }


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The model's out-of-sample check and its verdict.

    Attributes:
        model: the fitted model (None when it could not be fitted); kept for the record even
            when refused, never used then (see ``usable``).
        fitted_on: how many steps it was fitted on.
        measured_max: the measured max QPS under the SLA.
        lower_bound: the measured max is a lower bound (every step held): the model's max is
            then only checked from below.
        predicted_max: the model's max QPS under the SLA's latency bounds (None unfitted).
        held_out: the later steps that held the SLA, with the model's P95 at each.
        valid: the model passed every check.
        reason: one line saying what was checked and what came out.
        alike_max: the lowest and highest max QPS of the fits the steps cannot tell from the
            model (None unfitted).
    """

    model: QueueModel | None
    fitted_on: int
    measured_max: float
    lower_bound: bool
    predicted_max: float | None
    held_out: tuple[HeldOut, ...]
    valid: bool
    reason: str
    alike_max: tuple[float, float] | None = None

    @property
    def usable(self) -> QueueModel | None:
        """The model when it passed, else None: a refused model predicts nothing."""
        return self.model if self.valid else None

    @property
    def max_error(self) -> float | None:
        if self.predicted_max is None or self.measured_max <= 0:
            return None
        return (self.predicted_max - self.measured_max) / self.measured_max

    @property
    def pinned(self) -> bool:
        """Every fit the steps cannot tell from the model puts the max within
        ``MAX_QPS_LIMIT`` of the model's own, and none is cut off by the fit's grid (True when
        there was no model to compare; False when its max is 0, nothing to be near)."""
        if self.alike_max is None or self.predicted_max is None:
            return True
        if self.predicted_max <= 0 or (self.model is not None and self.model.region_open):
            return False
        low, high = self.alike_max
        lowest = self.predicted_max * (1 - MAX_QPS_LIMIT)
        highest = self.predicted_max * (1 + MAX_QPS_LIMIT)
        return lowest <= low and high <= highest

    def errors_json(self) -> dict[str, Any]:
        error = self.max_error
        alike = None
        if self.alike_max is not None and self.model is not None:
            fewest, most = self.model.servers_range()
            alike = {
                "servers": [fewest, most],
                "max_qps": [round(self.alike_max[0], 1), round(self.alike_max[1], 1)],
                "open": self.model.region_open,
                "pinned": self.pinned,
                "limit": MAX_QPS_LIMIT,
            }
        return {
            "alike": alike,
            "max_qps": {
                "predicted": None if self.predicted_max is None else round(self.predicted_max, 1),
                "measured": round(self.measured_max, 1),
                "error": None if error is None else round(error, 4),
                "limit": MAX_QPS_LIMIT,
                "measured_is_lower_bound": self.lower_bound,
            },
            "p95": [h.to_json() for h in self.held_out],
            "p95_limit": P95_LIMIT,
        }

    def to_json(self, curve_to: float = 0.0) -> dict[str, Any]:
        """``prediction`` in capacity.json: the verdict and its errors; the model and its
        curve (``CURVE_POINTS`` rates up to ``curve_to``) only when it passed."""
        fitted = list(self.model.fitted_on) if self.model is not None else []
        out = {
            "fitted_on": fitted,
            "valid": self.valid,
            "reason": None if self.valid else self.reason,
            "errors": self.errors_json(),
            "text": self.reason,
        }
        model = self.usable
        if model is None:
            return out
        curve = [
            {"qps": round(qps, 1), "p95_ms": _r(model.percentile_ms(qps, 95.0)),
             "p99_ms": _r(model.percentile_ms(qps, 99.0))}
            for qps in (curve_to * i / CURVE_POINTS for i in range(1, CURVE_POINTS + 1))
        ]  # fmt: skip
        return model.to_json() | out | {"curve": curve}


def check_model(steps: Sequence[Step], found: MaxQps, slo: SloSpec) -> ModelCheck:
    """Fit the model on the steps at or under ``FIT_SHARE`` of ``found`` and check it on the
    rest (see the module docstring)."""
    limit = FIT_SHARE * found.value
    fit_on = [s for s in steps if s.offered_qps <= limit]
    share = f"{FIT_SHARE:.0%}"
    if len(fit_on) < 2:
        reason = (
            f"latency model refused: {len(fit_on)} step(s) at or under {share} of the max QPS "
            f"({limit:,.0f} req/s); it needs 2 to be fitted out of sample (add lower steps); "
            f"{NOT_PREDICTED}"
        )
        return ModelCheck(None, len(fit_on), found.value, found.lower_bound, None, (), False,
                          reason)  # fmt: skip
    try:
        model = fit_queue(fit_on)
    except ValueError as exc:
        reason = f"latency model refused: {exc}; {NOT_PREDICTED}"
        return ModelCheck(None, len(fit_on), found.value, found.lower_bound, None, (), False,
                          reason)  # fmt: skip
    bounds = {PERCENTILES[k]: v for k, v in slo.latency_bounds().items()}
    predicted = model.max_qps(bounds) if bounds else model.capacity_qps
    alike = model.max_qps_range(bounds) if bounds else _capacities(model)
    held_out = tuple(_held_out(model, steps, limit, slo))
    check = ModelCheck(model, len(fit_on), found.value, found.lower_bound, predicted, held_out,
                       False, "", alike)  # fmt: skip
    failed = failures(check)
    if failed:
        reason = f"latency model refused: {'; '.join(failed)}; {NOT_PREDICTED}"
        return replace(check, valid=False, reason=reason)
    return replace(check, valid=True, reason=_passed(check, share))


def _capacities(model: QueueModel) -> tuple[float, float]:
    """The lowest and highest capacity (c μ) of the fits the steps cannot tell apart: the max
    QPS with no latency bound."""
    capacities = [model.capacity_qps, *(c * rate for c, rate in model.alike)]
    return min(capacities), max(capacities)


def _held_out(
    model: QueueModel, steps: Sequence[Step], limit: float, slo: SloSpec
) -> list[HeldOut]:
    """The steps above the fitted share that held the SLA and have a P95: past the max the
    target is overloaded, which the model does not describe (``queueing.py``)."""
    out = []
    for step in steps:
        fig = step.figures()
        measured = fig.percentile_ms(PERCENTILES["p95"])
        if fig.offered_qps <= limit or measured is None or measured <= 0 or breaks(fig, slo):
            continue
        predicted = model.percentile_ms(fig.offered_qps, PERCENTILES["p95"])
        out.append(HeldOut(step.source, fig.offered_qps, measured, predicted))
    return out


def failures(check: ModelCheck) -> tuple[str, ...]:
    """What ``check`` failed, one clause each (empty: it passed): the fits its steps cannot
    tell from it spread past ``MAX_QPS_LIMIT`` or the fit's grid (the steps did not pin it,
    named first: the other errors are then luck either way), its max QPS off by more than
    ``MAX_QPS_LIMIT`` (only from below when the measured max is a lower bound), or a held-out
    P95 off by more than ``P95_LIMIT`` (the worst named)."""
    share = f"{FIT_SHARE:.0%}"
    out = []
    if not check.pinned and check.alike_max is not None and check.model is not None:
        out.append(_not_pinned(check, check.model, check.alike_max, share))
    error = check.max_error
    if error is not None and check.predicted_max is not None:
        # A measured max that is a lower bound cannot show the model too high, only too low.
        off = error < -MAX_QPS_LIMIT if check.lower_bound else abs(error) > MAX_QPS_LIMIT
        if off:
            out.append(
                f"fitted on {check.fitted_on} steps <= {share} it puts the max at "
                f"{check.predicted_max:,.0f} req/s, {error:+.1%} from the measured "
                f"{check.measured_max:,.0f} (limit {MAX_QPS_LIMIT:.0%})"
            )
    worst = worst_held_out(check.held_out)
    if worst is not None and not worst.within:
        bad = sum(1 for h in check.held_out if not h.within)
        said = (
            "saturated (no value)"
            if worst.predicted_ms is None or worst.error is None
            else f"{worst.predicted_ms:.1f} ms, {worst.error:+.1%}"
        )
        out.append(
            f"its P95 at {worst.source} ({worst.offered_qps:,.0f} req/s) is {said} from the "
            f"measured {worst.measured_ms:.1f} ms (limit {P95_LIMIT:.0%}; {bad} of "
            f"{len(check.held_out)} held-out steps off)"
        )
    return tuple(out)


def _not_pinned(
    check: ModelCheck, model: QueueModel, alike_max: tuple[float, float], share: str
) -> str:
    fewest, most = model.servers_range()
    servers = f"{fewest}" if fewest == most else f"{fewest} to {most}"
    low, high = alike_max
    best = check.predicted_max or 0.0
    top = "at least " if model.region_open else ""
    beyond = low < best * (1 - MAX_QPS_LIMIT) or high > best * (1 + MAX_QPS_LIMIT)
    far = f", more than {MAX_QPS_LIMIT:.0%} from its {best:,.0f}" if beyond else ""
    edge = ", past the edge of the fit's grid" if model.region_open else ""
    return (
        f"the {check.fitted_on} steps <= {share} do not pin it: fits they cannot tell from its "
        f"{model.servers} x {model.rate:.1f} req/s ({servers} servers) put the max at "
        f"{low:,.0f} to {top}{high:,.0f} req/s{far}{edge} (longer or more steps under {share} "
        "may narrow them)"
    )


def worst_held_out(held_out: Sequence[HeldOut]) -> HeldOut | None:
    if not held_out:
        return None
    return max(held_out, key=lambda h: float("inf") if h.error is None else abs(h.error))


def _passed(check: ModelCheck, share: str) -> str:
    model = check.model
    assert model is not None  # a passed check has a model
    error = check.max_error or 0.0
    worst = worst_held_out(check.held_out)
    later = (
        f"; the P95 of the {len(check.held_out)} later steps that held within "
        f"{abs(worst.error or 0.0):.1%} (limit {P95_LIMIT:.0%})"
        if worst is not None
        else "; no later step held the SLA to check its P95 on"
    )
    bound = " (the measured max is a lower bound)" if check.lower_bound else ""
    alike = (
        f"; the fits the steps cannot tell from it put the max at {check.alike_max[0]:,.0f} to "
        f"{check.alike_max[1]:,.0f} req/s"
        if check.alike_max is not None
        else ""
    )
    return (
        f"M/G/c model fitted on the {check.fitted_on} steps at or under {share} of the max QPS "
        f"({model.servers} servers x {model.rate:.1f} req/s, capacity "
        f"{model.capacity_qps:,.0f} req/s); out of sample it puts the max QPS under the SLA at "
        f"{check.predicted_max or 0.0:,.0f} req/s, {error:+.1%} from the measured "
        f"{check.measured_max:,.0f}{bound} (limit {MAX_QPS_LIMIT:.0%}){alike}{later}."
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
