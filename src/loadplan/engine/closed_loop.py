"""Closed loop: N users, each sending its next request when the last one answers (plus think time).

This is what wrk, hey and Locust do. It cannot hold a rate, and it hides a stalled target (users
wait instead of piling up), so it is here for concurrency sweeps (throughput vs N for the USL
fit), not for SLA verdicts. Latency equals service time: each request is intended when it is sent.

How many users run is set from outside (``Users.set_users``), by the worker at the start of each
second its user schedule changes: a sweep's step boundary is a second's boundary, so the worker
cuts the old step's last second before the new step's users start, and every recorded second
is at one concurrency.
"""

from __future__ import annotations

import asyncio
import time

from loadplan.clock import Clock, MonotonicClock
from loadplan.engine.client import Pool
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import Request, RequestSource


class Users:
    """Feeds the pool the next request of the worker's share whenever a user is free.

    A user is a chain of requests: ``go`` sends its next one, and runs once per request, straight
    from the pool's answer callback, so it reads no asyncio state: stopping moves ``end_ns`` to
    now instead of being checked on every request. Fewer users end chains as their requests
    finish (``ending``, checked in ``go``), so no request in flight is abandoned; more users
    start new chains at once.
    """

    def __init__(
        self,
        source: RequestSource,
        pool: Pool,
        recorder: Recorder,
        clock: Clock,
        worker: int,
        workers: int,
        end_ns: int,
    ) -> None:
        self.source, self.pool, self.recorder = source, pool, recorder
        self.worker, self.workers = worker, workers
        self.end_ns = end_ns
        self.think_s = 0.0
        self.running = 0
        """Chains alive: a request in flight or waiting for a connection, or a user thinking."""
        self.ending = 0
        """Chains to end when their current request finishes (a step with fewer users)."""
        self._next_index = worker
        self._buffer: list[Request] = []
        # The real clock's bound method saves a Python call per request; a test clock is kept.
        self._now = time.monotonic_ns if isinstance(clock, MonotonicClock) else clock.now_ns
        self._submit = pool.submit
        self._dispatched = recorder.dispatched_on_time
        self.sent = 0
        self.error: Exception | None = None

    def set_users(self, users: int, think_s: float) -> None:
        """From now on, run ``users`` users pausing ``think_s`` between an answer and the next
        request. Does nothing once the run has ended."""
        if self._now() >= self.end_ns:
            return
        self.think_s = think_s
        self.pool.on_finished = self.after_think_time if think_s > 0 else self.go
        staying = self.running - self.ending
        if users <= staying:
            self.ending += staying - users
            return
        # Chains told to end but still running are kept first: they hold a connection already.
        kept = min(self.ending, users - staying)
        self.ending -= kept
        for _ in range(users - staying - kept):
            self.running += 1
            self.go()

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
        if self.ending:
            self.ending -= 1
            self.running -= 1
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


async def run_closed_loop(users: Users, clock: Clock, stop: asyncio.Event) -> int:
    """Wait while ``users`` run (the worker sets how many) until their ``end_ns``, a stop or an
    error; return how many requests were sent."""
    while clock.now_ns() < users.end_ns and users.error is None:
        if stop.is_set():
            users.end_ns = clock.now_ns()
            break
        await clock.sleep_until(min(users.end_ns, clock.now_ns() + 50_000_000))
    users.pool.on_finished = None
    if users.error is not None:
        raise users.error
    return users.sent
