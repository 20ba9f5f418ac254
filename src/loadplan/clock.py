"""Time as a parameter.

The schedule, the engine and the live view take a ``Clock`` rather than reading the wall clock,
so tests step a ``FakeClock`` instead of sleeping (the way rich's ``Progress(get_time=...)`` is
tested).
The recorder takes no clock at all: callers pass it timestamps.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic nanosecond clock that can also wait."""

    def now_ns(self) -> int:
        """Nanoseconds since an arbitrary, fixed origin."""
        ...

    async def sleep_until(self, deadline_ns: int) -> None:
        """Return at (or just after) ``deadline_ns``."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic_ns`` and asyncio sleeps."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.monotonic_ns()

    async def sleep_until(self, deadline_ns: int) -> None:
        delay = (deadline_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)


class FakeClock:
    """A clock that moves only when told to; ``sleep_until`` jumps straight to the deadline.

    Example::

        clock = FakeClock()
        clock.advance(1_000_000)  # one millisecond
        assert clock.now_ns() == 1_000_000
    """

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def advance(self, delta_ns: int) -> None:
        if delta_ns < 0:
            msg = f"FakeClock.advance got {delta_ns} ns: time only moves forward"
            raise ValueError(msg)
        self._now += delta_ns

    async def sleep_until(self, deadline_ns: int) -> None:
        self._now = max(self._now, deadline_ns)
        await asyncio.sleep(0)
