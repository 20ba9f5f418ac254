"""A concurrency cap for ``/search``: at most N requests are served at once, the rest wait in
arrival order.

Why: with ``--added-latency`` alone the service is never saturated (an ``asyncio`` sleep costs
no CPU, so any number of requests sleep at once), and its capacity is whatever the CPU gives.
A cap of N slots held for a known time d gives a server of known capacity, N / d requests per
second, that needs almost no CPU: several instances fit on one core behind a load balancer, and
a capacity plan can be checked against a capacity known by construction. It also models what
real services have, a worker pool or a connection pool to a backend, in front of which requests
queue.

The gate sits outside the fault middleware, so a request holds its slot through the added
latency (and a stall or a slow answer) as well as the index query. Waiting is FIFO and has no
bound or timeout: a request waits as long as it takes, and that wait is part of the latency the
client sees, as in a real queue. Each process has its own gate (``--workers N`` gives N x the
cap). The figures are read at scrape time: ``refservice_max_concurrency``,
``refservice_inflight`` (requests holding a slot) and ``refservice_queue_waiting``.

Example::

    gate = ConcurrencyGate(8)
    async with gate:
        ...  # at most 8 tasks are in here at once; the others wait in the order they came
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from types import TracebackType

from starlette.types import ASGIApp, Receive, Scope, Send


class ConcurrencyGate:
    """A FIFO counting gate (a fair semaphore) that reports how many hold and wait.

    ``asyncio.Semaphore`` is not used: it lets a newcomer take a slot that was freed while
    earlier waiters had not yet woken, so its order is not strictly arrival order, and it does
    not say how many wait. Here a freed slot is handed straight to the oldest waiter.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            msg = f"max_concurrency = {limit}: must be >= 1 (slots served at once)"
            raise ValueError(msg)
        self.limit = limit
        self._inflight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def inflight(self) -> int:
        """Requests holding a slot now."""
        return self._inflight

    @property
    def waiting(self) -> int:
        """Requests queued for a slot now."""
        return sum(1 for w in self._waiters if not w.done())

    async def acquire(self) -> None:
        if self._inflight < self.limit and not self._waiters:
            self._inflight += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed over just as the wait was cancelled: pass it on.
                self.release()
            else:
                # release() may have dropped it already, as done, before this ran.
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        # A slot handed over by release() keeps _inflight as it was: one left, one came in.

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._inflight -= 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class GateMiddleware:
    """ASGI middleware holding one ``ConcurrencyGate`` slot for each request to ``path``, from
    before the inner app starts until it returns (the last body chunk handed over)."""

    def __init__(self, app: ASGIApp, gate: ConcurrencyGate, path: str = "/search") -> None:
        self.app = app
        self.gate = gate
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        async with self.gate:
            await self.app(scope, receive, send)
