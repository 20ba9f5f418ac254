"""Durations as people write them: ``250ms``, ``30s``, ``5m``, ``2h``, ``1h30m`` or seconds."""

from __future__ import annotations

import re

from loadplan.errors import shown

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)")


def parse_duration(text: str | float | int, what: str = "duration") -> float:
    """Seconds in ``text``; raise ValueError naming ``what`` and the accepted forms.

    Example::

        parse_duration("1h30m")  # 5400.0
        parse_duration("250ms")  # 0.25
        parse_duration(2)        # 2.0
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):  # TOML: a list, a date
        msg = f"{what} = {shown(text)}: not a duration; write e.g. 30s, 250ms, 5m or 2h"
        raise ValueError(msg)
    if isinstance(text, int | float):
        try:
            seconds = float(text)
        except OverflowError:  # an int past 1e308
            msg = f"{what}: a number past 1e308 seconds; write e.g. 30s, 250ms, 5m or 2h"
            raise ValueError(msg) from None
    else:
        s = text.strip().replace(" ", "")
        try:
            seconds = float(s)
        except ValueError:
            pos, seconds = 0, 0.0
            for match in _PART.finditer(s):
                if match.start() != pos:
                    break
                seconds += float(match.group(1)) * _UNITS[match.group(2)]
                pos = match.end()
            if pos != len(s) or not s:
                msg = f"{what} = {shown(text)}: not a duration; write e.g. 30s, 250ms, 5m or 2h"
                raise ValueError(msg) from None
    if seconds < 0:
        msg = f"{what} = {shown(text)}: must not be negative"
        raise ValueError(msg)
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: ``0.25`` → ``250ms``, ``5400`` → ``1h30m``."""
    if seconds < 1:
        return f"{seconds * 1e3:.0f}ms"
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    out = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out + (f"{secs}s" if secs else "")
