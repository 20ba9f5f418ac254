"""Fault injection: known misbehaviour, so loadplan can be tested against a target whose answer
is known in advance.

Deciding and acting are kept apart. ``FaultDice.roll()`` is arithmetic on a clock and a seeded
random stream and returns a ``FaultDecision``; the ASGI middleware only sleeps and answers as
decided. So the arithmetic is tested with a fake clock, and the middleware with real sockets.

Faults apply to ``/search`` only: ``/healthz`` and ``/metrics`` stay honest, so a stall is
visible from the outside while it happens.

Semantics, per ``/search`` request:

* added latency: sleep ``latency + U(-jitter, +jitter)`` seconds (never below zero).
* stall: every ``stall_every`` seconds after start a window of ``stall_for`` seconds opens; a
  request arriving inside it is held until the window closes, as behind a stop-the-world pause.
* slow fraction: with probability ``slow_fraction`` the answer waits ``slow_latency`` more.
* error rate: with probability ``error_rate`` the answer is a 500 instead of a result.

Delays add up (stall hold, then latency, then slow), and are ``asyncio`` sleeps: they cost no
CPU, like waiting on a slow dependency.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from loadplan.refservice.config import FaultConfig

_ERROR_BODY = json.dumps({"error": "injected fault (--error-rate)", "status": 500}).encode()


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request.

    Attributes:
        stall: seconds to hold the request because a stall window is open.
        latency: seconds of added latency.
        slow: seconds of slow-request delay.
        error: answer 500 instead of serving the request.
    """

    stall: float = 0.0
    latency: float = 0.0
    slow: float = 0.0
    error: bool = False

    @property
    def delay(self) -> float:
        return self.stall + self.latency + self.slow


class FaultDice:
    """Rolls a ``FaultDecision`` per request from a seeded stream and a clock.

    Example::

        dice = FaultDice(FaultConfig(error_rate=0.01), seed=42, clock=time.monotonic)
        dice.roll().error   # True about once in a hundred rolls
    """

    def __init__(
        self, config: FaultConfig, seed: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._clock = clock
        self._start = clock()

    def roll(self) -> FaultDecision:
        c = self.config
        stall = 0.0
        if c.stall_every:
            elapsed = self._clock() - self._start
            phase = elapsed % c.stall_every
            if elapsed >= c.stall_every and phase < c.stall_for:
                stall = c.stall_for - phase
        latency = c.added_latency
        if c.added_jitter:
            latency = max(0.0, latency + self._rng.uniform(-c.added_jitter, c.added_jitter))
        slow = c.slow_latency if c.slow_fraction and self._rng.random() < c.slow_fraction else 0.0
        error = bool(c.error_rate) and self._rng.random() < c.error_rate
        return FaultDecision(stall=stall, latency=latency, slow=slow, error=error)


class FaultMiddleware:
    """ASGI middleware applying ``FaultDice`` decisions to one path.

    ``on_fault(kind)`` is called for each fault applied (``stall``, ``latency``, ``slow``,
    ``error``), so the caller can count them.
    """

    def __init__(
        self,
        app: ASGIApp,
        dice: FaultDice,
        on_fault: Callable[[str], None],
        path: str = "/search",
    ) -> None:
        self.app = app
        self.dice = dice
        self.on_fault = on_fault
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        decision = self.dice.roll()
        for kind in ("stall", "latency", "slow"):
            if getattr(decision, kind):
                self.on_fault(kind)
        if decision.delay > 0:
            await asyncio.sleep(decision.delay)
        if decision.error:
            self.on_fault("error")
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_ERROR_BODY)).encode()),
                        (b"x-fault", b"error"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _ERROR_BODY})
            return
        await self.app(scope, receive, send)
