"""Closed loop: N users, each sending its next request when the last one answers (plus think time).

This is what wrk, hey and Locust do. It cannot hold a rate, and it hides a stalled target (users
wait instead of piling up), so it is here for concurrency sweeps (throughput vs N for the USL
fit), not for SLA verdicts. Latency equals service time: each request is intended when it is sent.
"""

from __future__ import annotations

import asyncio
import time

from loadplan.clock import Clock, MonotonicClock
from loadplan.engine.client import Pool
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import Request, RequestSource


class _Users:
    """Feeds the pool the next request of the worker's share whenever a user is free.

    ``go`` runs once per request, straight from the pool's answer callback, so it reads no
    asyncio state: stopping moves ``end_ns`` to now instead of being checked on every request.
    """

    def __init__(
        self,
        source: RequestSource,
        pool: Pool,
        recorder: Recorder,
        clock: Clock,
        worker: int,
        workers: int,
        think_s: float,
        end_ns: int,
    ) -> None:
        self.source, self.pool, self.recorder = source, pool, recorder
        self.worker, self.workers = worker, workers
        self.think_s, self.end_ns = think_s, end_ns
        self._next_index = worker
        self._buffer: list[Request] = []
        # The real clock's bound method saves a Python call per request; a test clock is kept.
        self._now = time.monotonic_ns if isinstance(clock, MonotonicClock) else clock.now_ns
        self._submit = pool.submit
        self._dispatched = recorder.dispatched_on_time
        self.sent = 0
        self.error: Exception | None = None

    def _take(self) -> Request:
        if not self._buffer:
            chunk = 4096 * self.workers
            start = self._next_index - self.worker
            self._buffer = self.source.batch(start, start + chunk, self.worker, self.workers)
            self._buffer.reverse()
            self._next_index += chunk
        return self._buffer.pop()

    def go(self) -> None:
        now = self._now()
        if now >= self.end_ns:
            return
        try:
            buffer = self._buffer
            request = buffer.pop() if buffer else self._take()
            self._dispatched()
            self.sent += 1
            self._submit(now, request)
        except Exception as exc:
            # Called back from the pool's answer handler, where an exception would only close
            # one connection and lose one user: stop the run and report it instead.
            self.end_ns = now
            if self.error is None:
                self.error = exc

    def after_think_time(self) -> None:
        self.pool.loop.call_later(self.think_s, self.go)


async def run_closed_loop(
    users: int,
    think_s: float,
    duration_s: float,
    source: RequestSource,
    pool: Pool,
    recorder: Recorder,
    clock: Clock,
    start_ns: int,
    stop: asyncio.Event,
    worker: int = 0,
    workers: int = 1,
) -> int:
    """Run ``users`` users until ``duration_s`` has passed; return how many requests were sent."""
    end_ns = start_ns + int(duration_s * 1e9)
    driver = _Users(source, pool, recorder, clock, worker, workers, think_s, end_ns)
    pool.on_finished = driver.after_think_time if think_s > 0 else driver.go
    await clock.sleep_until(start_ns)
    for _ in range(users):
        driver.go()
    while clock.now_ns() < end_ns and driver.error is None:
        if stop.is_set():
            driver.end_ns = clock.now_ns()
            break
        await clock.sleep_until(min(end_ns, clock.now_ns() + 50_000_000))
    pool.on_finished = None
    if driver.error is not None:
        raise driver.error
    return driver.sent
