"""The open-loop pacer: hand each request to the pool at its due time, answered or not.

The pacer is a callback, not a sleeping task: ``pump`` sends everything that is due and returns.
It runs on a sub-millisecond alarm (``wakeup.py``) set for the next due request, but never less
than ``TICK_NS`` after the last wake-up: below about 2,000 req/s every request gets its own
wake-up, exactly on time; above, requests go out in small batches at most half a millisecond
late.

Why batches: sending each request at its own instant costs more than the request. Waking a
process (this one, and the target behind loopback) is a sleep-to-wake round trip of tens of
microseconds on a VM, and the write that wakes an idle target pays for it (profiled at 10,000
req/s: ``transport.write`` was a quarter of the worker's CPU). Measured at 20,000 req/s,
pumping after every answer as well as on the alarm took 75-93 % of a core, 100 µs ticks 83 %,
250 µs ticks 51-54 %; at 10,000 req/s with the built-in workload, 250 µs ticks took 54-65 %,
500 µs 45-52 %, 1 ms 41-48 % (with up to a millisecond more lag).

Each request's lag (dispatch - due) is recorded, and a pacer that falls behind shows up there
instead of silently stretching the schedule. Requests are never sent early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from loadplan.clock import Clock
from loadplan.engine.client import Pool
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import Request, RequestSource
from loadplan.engine.wakeup import Alarm
from loadplan.schedule.schedule import OffsetSchedule, Schedule

SLICE = 128
TICK_NS = 500_000
"""Alarms are set at least this far apart: at most 4,000 wake-ups a second."""

_Slice = tuple[list[int], list[Request]]


class Pacer:
    """Walks the schedule, one prepared slice of (due time, request) at a time."""

    __slots__ = (
        "_alarm",
        "_due",
        "_i",
        "_now",
        "_pool",
        "_recorder",
        "_requests",
        "_slices",
        "dispatched",
        "done",
    )

    def __init__(
        self,
        slices: Iterator[_Slice],
        pool: Pool,
        recorder: Recorder,
        clock: Clock,
        done: asyncio.Future[None],
    ) -> None:
        self._slices = slices
        self._pool = pool
        self._recorder = recorder
        self._now = clock.now_ns
        self._due: list[int] = []
        self._requests: list[Request] = []
        self._i = 0
        self._alarm: Alarm | None = None
        self.dispatched = 0
        self.done = done
        self._next_slice()

    def _next_slice(self) -> bool:
        piece = next(self._slices, None)
        if piece is None:
            self._due, self._requests, self._i = [], [], 0
            if not self.done.done():
                self.done.set_result(None)
            return False
        self._due, self._requests = piece
        self._i = 0
        return True

    def start(self, alarm: Alarm) -> None:
        self._alarm = alarm
        self.pump()

    def pump(self) -> None:
        """Send every request that is due by now, and make sure the alarm is set for the next.

        It runs as an event-loop callback, where an exception would only be logged and the run
        would wait forever for a pacer that no longer wakes: it ends the run instead.
        """
        try:
            due = self._due
            i = self._i
            now = self._now()
            if i < len(due) and due[i] <= now:
                self._pump(due, i, now)
                due, i = self._due, self._i
            alarm = self._alarm
            if alarm is not None and alarm.armed_ns == 0 and i < len(due):
                alarm.arm(max(due[i], now + TICK_NS))
        except Exception as exc:
            if not self.done.done():
                self.done.set_exception(exc)

    def _pump(self, due: list[int], i: int, now: int) -> None:
        submit = self._pool.submit
        requests = self._requests
        while True:
            n = len(due)
            start = i
            while i < n and due[i] <= now:
                submit(due[i], requests[i])
                i += 1
            self._i = i
            self._recorder.dispatched_all(due[start:i], now)
            self.dispatched += i - start
            if i < n or not self._next_slice():
                return
            due, requests, i = self._due, self._requests, 0
            now = self._now()


async def run_open_loop(
    schedule: Schedule | OffsetSchedule,
    source: RequestSource,
    pool: Pool,
    recorder: Recorder,
    clock: Clock,
    start_ns: int,
    stop: asyncio.Event,
) -> int:
    """Dispatch the whole schedule (or until ``stop`` is set); return how many were dispatched.

    The first slice is prepared before ``start_ns`` so the first second is not spent building it.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    pacer = Pacer(_prepared(schedule, source, start_ns), pool, recorder, clock, done)
    await clock.sleep_until(start_ns)
    alarm = Alarm(loop, pacer.pump)
    stopped = loop.create_task(stop.wait())
    try:
        pacer.start(alarm)
        await asyncio.wait((done, stopped), return_when=asyncio.FIRST_COMPLETED)
        if done.done():
            done.result()  # the pacer's own failure, if it failed
    finally:
        alarm.close()
        stopped.cancel()
    return pacer.dispatched


def _prepared(
    schedule: Schedule | OffsetSchedule, source: RequestSource, start_ns: int
) -> Iterator[tuple[list[int], list[Request]]]:
    """Slices of the schedule as (absolute due times, requests): plain lists, cheapest to index.

    Requests are built a slice at a time because building them is the one sizeable piece of
    work on the pacer's path (about 7 µs each for a search request rendered the first time):
    16,384 at once paused dispatch for over 100 ms (lag P99 39 ms at 2,000 req/s).
    """
    for block in schedule.blocks():
        due = block.offsets_ns + start_ns
        indices = block.indices
        for a in range(0, len(due), SLICE):
            b = min(a + SLICE, len(due))
            first, last = int(indices[a]), int(indices[b - 1])
            requests = source.batch(first, last + 1, schedule.worker, schedule.workers)
            yield due[a:b].tolist(), requests
