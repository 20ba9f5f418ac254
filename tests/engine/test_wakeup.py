"""The pacer's alarm: fires once, never before its deadline, and can be re-armed."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
import uvloop

from loadplan.engine.wakeup import Alarm


def fire_times(deadlines_from_now_ns: list[int]) -> tuple[list[int], list[int], bool]:
    """Arm the alarm for each deadline in turn (re-arming when it fires); return the deadlines,
    the times it fired, and whether it was a timerfd."""

    async def main() -> tuple[list[int], list[int], bool]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        deadlines: list[int] = []
        done = loop.create_future()

        def on_fire() -> None:
            fired.append(time.monotonic_ns())
            if len(fired) < len(deadlines_from_now_ns):
                arm_next()
            elif not done.done():
                done.set_result(None)

        alarm = Alarm(loop, on_fire)

        def arm_next() -> None:
            deadline = time.monotonic_ns() + deadlines_from_now_ns[len(fired)]
            deadlines.append(deadline)
            alarm.arm(deadline)

        arm_next()
        await asyncio.wait_for(done, timeout=5)
        precise = alarm.precise
        alarm.close()
        return deadlines, fired, precise

    return uvloop.run(main())


def test_fires_at_or_after_each_deadline_never_before() -> None:
    deadlines, fired, _ = fire_times([300_000, 2_000_000, 0, 750_000, 5_000_000])
    assert len(fired) == 5
    assert all(f >= d for d, f in zip(deadlines, fired, strict=True))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux only")
def test_is_a_timerfd_on_linux() -> None:
    _, _, precise = fire_times([100_000])
    assert precise


def test_armed_ns_clears_when_it_fires() -> None:
    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        alarm = Alarm(loop, lambda: fired.set_result(None))
        alarm.arm(time.monotonic_ns() + 1_000_000)
        armed = alarm.armed_ns
        await asyncio.wait_for(fired, timeout=5)
        after = alarm.armed_ns
        alarm.close()
        return armed, after

    armed, after = uvloop.run(main())
    assert armed > 0
    assert after == 0
