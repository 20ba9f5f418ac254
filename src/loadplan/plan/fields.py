"""Field types every plan table shares: durations, fractions, and the strict table base.

They live apart from ``model.py`` so the stage and SLO tables (``stages.py``, ``slo.py``) can use
them without importing the whole plan, which imports them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from loadplan.units import parse_duration


class Section(BaseModel):
    """A plan table: unknown keys are errors (a typo must not fall back to a default).

    TOML has ``inf`` and ``nan``; no rate, duration or share means either, and an infinite one
    would pass ``gt=0`` and reach the schedule, so floats must be finite.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def _duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        # The plan's error line already says "field = value"; keep only the why and the fix.
        # rsplit: the value's repr may hold ": " itself (a TOML inline table).
        raise ValueError(str(exc).rsplit(": ", 1)[-1]) from None


def _fraction(value: Any) -> Any:
    """``0.001``, ``"0.1%"`` and ``"0.1 %"`` all mean one in a thousand."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return float(text[:-1].strip()) / 100
            except ValueError:
                msg = 'not a fraction; write e.g. 0.001 or "0.1%"'
                raise ValueError(msg) from None
    return value


Seconds = Annotated[float, BeforeValidator(_duration)]
"""A duration: ``"250ms"``, ``"30s"``, ``"2h"`` or a number of seconds."""

Fraction = Annotated[float, BeforeValidator(_fraction)]
"""A share: ``0.99`` or ``"99%"``; bounds (0..1) are set where it is used."""
