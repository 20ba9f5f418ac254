"""The SLA verdict as a report reads it from summary.json.

The verdict is written by the SLA checker (``summary["verdict"]``); this module only reads it,
and reads it leniently, so a report never fails because the verdict gained a field: it renders
whatever rows there are with the columns objective, stage, bound, measured and pass. Latency
objectives named like ``p95`` also give the bounds drawn on the latency plots.

Accepted shapes::

    {"pass": false, "rows": [{"objective": "latency p95", "stage": "sustained",
                              "bound": 300, "measured": 312.5, "unit": "ms", "pass": false}]}
    [{"objective": "p99", "bound": "500ms", "measured": "480ms", "passed": true}, ...]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loadplan.units import parse_duration

_PERCENTILE = re.compile(r"\bp(\d{1,2}(?:\.\d+)?)\b", re.IGNORECASE)
_ROW_LISTS = ("rows", "objectives", "checks", "results")
_PASS_KEYS = ("pass", "passed", "ok")
_WHOLE_RUN = ("", "run", "all", "whole run", "overall", "*")


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One objective checked over one stage (or the whole run), as text ready for a table."""

    objective: str
    stage: str
    bound: str
    measured: str
    passed: bool | None


@dataclass(frozen=True, slots=True)
class SlaBound:
    """A latency bound to draw: P``percentile`` must stay at or below ``bound_ms``."""

    percentile: float
    bound_ms: float

    @property
    def label(self) -> str:
        return f"P{self.percentile:g} bound {self.bound_ms:g} ms"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The whole verdict: its rows, and pass/fail over all of them (None when unknown)."""

    rows: tuple[VerdictRow, ...]
    passed: bool | None
    raw_rows: tuple[Mapping[str, Any], ...]

    def latency_bounds(self) -> tuple[SlaBound, ...]:
        """Distinct (percentile, bound) pairs of latency objectives, lowest percentile first."""
        found: set[tuple[float, float]] = set()
        for raw in self.raw_rows:
            name = str(raw.get("objective", raw.get("name", "")))
            # "p95 latency" or "p95" is a latency bound; "p95 drift" is not (a rise in ms).
            match = _PERCENTILE.search(name) if "drift" not in name.lower() else None
            bound = _bound_ms(raw)
            if match and bound is not None:
                found.add((float(match.group(1)), bound))
        return tuple(SlaBound(p, b) for p, b in sorted(found))

    def rows_for(self, stage: str) -> tuple[VerdictRow, ...]:
        return tuple(r for r in self.rows if r.stage == stage)

    def whole_run_rows(self) -> tuple[VerdictRow, ...]:
        return tuple(r for r in self.rows if r.stage.lower() in _WHOLE_RUN)


def read_verdict(summary: Mapping[str, Any]) -> Verdict | None:
    """The verdict in ``summary``, or None when the plan stated no SLA objectives."""
    raw = summary.get("verdict")
    if raw is None:
        return None
    listed: list[Any]
    overall: bool | None
    if isinstance(raw, Mapping):
        listed = next((raw[k] for k in _ROW_LISTS if isinstance(raw.get(k), list)), [])
        overall = _passed(raw)
    else:
        listed, overall = raw if isinstance(raw, list) else [], None
    raw_rows = tuple(r for r in listed if isinstance(r, Mapping))
    rows = tuple(_row(r) for r in raw_rows)
    if overall is None and rows and all(r.passed is not None for r in rows):
        overall = all(r.passed for r in rows)
    return Verdict(rows, overall, raw_rows)


def _passed(raw: Mapping[str, Any]) -> bool | None:
    for key in _PASS_KEYS:
        value = raw.get(key)
        if isinstance(value, bool):
            return value
    return None


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return f"{text} {unit}".strip()
    return str(value)


def _row(raw: Mapping[str, Any]) -> VerdictRow:
    unit = str(raw.get("unit", ""))
    return VerdictRow(
        objective=str(raw.get("objective", raw.get("name", "?"))),
        stage=str(raw.get("stage") or "run"),
        bound=_text(raw.get("bound"), unit),
        measured=_text(raw.get("measured"), unit),
        passed=_passed(raw),
    )


def _bound_ms(raw: Mapping[str, Any]) -> float | None:
    """The bound in ms: ``bound_ms``, a number (with ``unit`` s or ms; ms by default) or text."""
    # The suite's rows carry the bound as a number in ms ("limit") beside the text ("<= 300 ms").
    value = raw.get("bound_ms", raw.get("limit", raw.get("bound")))
    if value is None or isinstance(value, bool):
        return None
    unit = str(raw.get("unit", "ms")).strip().lower() if "bound_ms" not in raw else "ms"
    scale = {"ms": 1.0, "s": 1000.0, "us": 0.001, "µs": 0.001}.get(unit)
    try:
        # A bare number (or numeric text) is in ``unit``; text with a unit ("300ms") says its own.
        ms = float(value) * scale if scale is not None else None
    except (TypeError, ValueError):
        try:
            ms = parse_duration(str(value)) * 1000
        except ValueError:
            return None
    return ms if ms is not None and math.isfinite(ms) and ms > 0 else None
