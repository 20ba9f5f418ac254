"""The verdict of one compared row, the ``--fail-on`` thresholds, and the gate's exit code.

A row *regressed* when its change is real and not shown to be smaller than its threshold: the
95 % interval is clear of no change (with ``--baseline``, of the earlier runs' own spread) and
reaches the threshold. The burden of proof is on the new build: a real regression passes only
when its interval shows it under the threshold, and a change the interval cannot tell from no
change never fails. That is what makes a threshold mean "the change the gate must catch": a
true change of exactly the threshold has its interval reach the threshold whenever the
interval covers it (97.5 % of the time for a calibrated interval), while a same-build pair
fails only when its interval is both clear of zero and as far out as the threshold (for an
interval centred on its point, a point past half the threshold). The rule it replaced (the
whole interval past the threshold) caught a threshold-sized change about half the time
(docs/performance/regression-gate.md has both measured). A figure whose run-to-run spread
outgrows its within-run interval breaks the first premise, which is why the target's CPU per
request is shown, not gated, by default.
*Improved* is the mirror. *Inconclusive* says the data cannot answer: too few
seconds or answers, a generator-bound run, runs of different plans, or a generator whose
schedule lag moved between the runs (``lag.py``).

Example::

    thresholds = parse_fail_on(["p99=+5%", "error_rate=0.1"])
    verdict, why = decide(difference, thresholds[Figure.P99], seconds=(60, 60))
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from loadplan.analysis.compare.stats import Difference, Figure
from loadplan.errors import PlanError

MIN_SECONDS = 10
"""Whole seconds each run needs in a group: fewer make two-block bootstraps, no interval."""

DEFAULT_FAIL_ON: Mapping[Figure, float] = {
    Figure.P95: 0.10,
    Figure.P99: 0.10,
    Figure.ERROR_RATE: 0.0005,
    Figure.THROUGHPUT: 0.02,
    Figure.TARGET_HIT_RATE: 0.02,
}
"""Thresholds that fail the gate: P95 and P99 +10 %, error rate +0.05 points, throughput -2 %,
and, when both runs scraped the target, its cache hit rate -2 points."""

SHOWN: Mapping[Figure, float] = {
    Figure.P50: 0.10,
    Figure.P999: 0.10,
    Figure.CACHE_HIT_RATE: 0.01,
    Figure.CPU_PER_REQUEST: 0.25,
}
"""Thresholds of the figures that are reported with a verdict but do not fail the gate unless
``--fail-on`` names them. The target's CPU per request is among them: between two runs of one
process it moved by up to +42 % (another tenant on the host shares its caches and cores) while
each run's own interval was a few points wide, so gated alone it failed same-build pairs; gate
it with ``--fail-on cpu=+25%`` and ``--baseline`` runs, whose spread is then its noise floor
(docs/performance/regression-gate.md)."""


class Verdict(enum.StrEnum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    NO_CHANGE = "no change"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class Threshold:
    """How far a figure may move the worse way before it counts.

    Attributes:
        figure: the figure.
        amount: in the figure's unit of change (a share for latency and throughput, a fraction
            of requests for the rates), always >= 0: the direction is the figure's.
        gated: True when a regression past it fails the gate (exit 1).
    """

    figure: Figure
    amount: float
    gated: bool

    def describe(self) -> str:
        sign = "+" if self.figure.higher_is_worse else "-"
        if self.figure.relative:
            return f"{sign}{self.amount:.0%}"
        return f"{sign}{self.amount * 100:g} pt"


_FAIL_ON = re.compile(r"^\s*([a-z0-9_.]+)\s*=\s*([+-]?)\s*([0-9.]+)\s*(%|pt)?\s*$", re.IGNORECASE)


def parse_fail_on(items: Iterable[str]) -> dict[Figure, Threshold]:
    """``--fail-on`` items (``p99=+10%``, ``error_rate=0.05`` points, ``throughput=-2%``,
    ``cpu_per_request=+15%``, ``target_hit_rate=-2`` points, ``p50=off``) over the defaults;
    each item may hold several, comma-separated."""
    gated = dict(DEFAULT_FAIL_ON)
    shown = dict(SHOWN)
    for item in (part for raw in items for part in raw.split(",") if part.strip()):
        name, _, value = item.partition("=")
        figure = _figure(name.strip().lower(), item)
        if value.strip().lower() == "off":
            shown[figure] = gated.pop(figure, shown.get(figure, _fallback(figure)))
            continue
        match = _FAIL_ON.match(item)
        if match is None:
            msg = (
                f"--fail-on {item!r}: not FIGURE=AMOUNT; write e.g. p99=+10% (share of the base), "
                "error_rate=0.05 (percentage points) or throughput=-2%"
            )
            raise PlanError(msg)
        sign, number, unit = match.group(2), float(match.group(3)), (match.group(4) or "").lower()
        worse_sign = "+" if figure.higher_is_worse else "-"
        if sign and sign != worse_sign:
            msg = (
                f"--fail-on {item!r}: {figure.value} gets worse by going {worse_sign}; "
                f"write {figure.value}={worse_sign}{match.group(3)}{unit}"
            )
            raise PlanError(msg)
        if figure.relative and unit == "pt":
            msg = f"--fail-on {item!r}: {figure.value} changes by a share; write it with %"
            raise PlanError(msg)
        # Rates take percentage points (0.05 = 0.05 % of requests), with or without "pt".
        gated[figure] = number / 100
        shown.pop(figure, None)
    out = {f: Threshold(f, amount, True) for f, amount in gated.items()}
    out |= {f: Threshold(f, amount, False) for f, amount in shown.items()}
    return out


def _figure(name: str, item: str) -> Figure:
    aliases = {
        "p999": Figure.P999,
        "errors": Figure.ERROR_RATE,
        "hit_rate": Figure.CACHE_HIT_RATE,
        "cpu": Figure.CPU_PER_REQUEST,
    }
    try:
        return aliases.get(name) or Figure(name.replace("-", "_"))
    except ValueError:
        names = ", ".join(f.value for f in Figure)
        msg = f"--fail-on {item!r}: no figure {name!r}; use one of {names}"
        raise PlanError(msg) from None


def _fallback(figure: Figure) -> float:
    return SHOWN.get(figure, DEFAULT_FAIL_ON.get(figure, 0.10))


def decide(
    diff: Difference,
    threshold: Threshold,
    seconds: tuple[int, int],
    blockers: Sequence[str] = (),
    noise: float | None = None,
) -> tuple[Verdict, str]:
    """The row's verdict and, in a few words, why."""
    if blockers:
        return Verdict.INCONCLUSIVE, "; ".join(blockers)
    if min(seconds) < MIN_SECONDS:
        return Verdict.INCONCLUSIVE, (
            f"{seconds[0]} s vs {seconds[1]} s of data; needs >= {MIN_SECONDS} s each"
        )
    need = diff.figure.min_count
    if min(diff.base_count, diff.new_count) < need:
        rates = (Figure.CACHE_HIT_RATE, Figure.TARGET_HIT_RATE)
        what = "cache lookups" if diff.figure in rates else "answers"
        return Verdict.INCONCLUSIVE, (
            f"{diff.base_count} vs {diff.new_count} {what}; needs >= {need} each"
        )
    if diff.change is None or diff.low is None or diff.high is None:
        return Verdict.INCONCLUSIVE, "no data to compare"
    sign = 1.0 if diff.figure.higher_is_worse else -1.0
    worse_by = sign * diff.change
    # The interval's two ends, measured the worse way: [worse_low, worse_high].
    worse_low, worse_high = sorted((sign * diff.low, sign * diff.high))
    floor = noise or 0.0
    where = f"noise floor {_amount(diff.figure, floor)}" if noise is not None else "no change"
    if worse_low > floor:
        if worse_high >= threshold.amount:
            reached = _reached(worse_by, threshold.amount, threshold.describe())
            return Verdict.REGRESSED, f"{reached}, interval clear of {where}"
        return Verdict.NO_CHANGE, f"real, but shown within {threshold.describe()}"
    if -worse_high > floor:
        if -worse_low >= threshold.amount:
            reached = _reached(-worse_by, threshold.amount, _better(threshold))
            return Verdict.IMPROVED, f"{reached}, interval clear of {where}"
        return Verdict.NO_CHANGE, f"real, but shown within {_better(threshold)}"
    if abs(worse_by) >= threshold.amount:
        return Verdict.NO_CHANGE, f"past {threshold.describe()}, but the interval holds {where}"
    return Verdict.NO_CHANGE, f"interval holds {where}"


def _reached(by: float, amount: float, shown: str) -> str:
    """The point past the threshold, or only the interval's far end: a real change whose
    interval reaches the threshold fails with its point short of it, and says so."""
    return f"past {shown}" if by >= amount else f"not shown within {shown}"


def _better(threshold: Threshold) -> str:
    sign = "-" if threshold.figure.higher_is_worse else "+"
    return sign + threshold.describe()[1:]


def _amount(figure: Figure, value: float) -> str:
    return f"{value:.1%}" if figure.relative else f"{value * 100:.3g} pt"
