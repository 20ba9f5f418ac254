"""Closed-loop users following a schedule: more users start new chains as their step starts,
fewer end chains as their requests finish, and each second is labelled with its step."""

from __future__ import annotations

import asyncio
import time

import pytest
import uvloop

from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import FixedSource, Request
from loadplan.engine.worker import LoopMode, UserStep, WorkerSpec, run_worker

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
DELAY_S = 0.05


def run_steps(steps: tuple[UserStep, ...]) -> tuple[list[RawInterval], int]:
    """Run ``steps`` against a server that answers every request after ``DELAY_S``."""
    seen = 0

    class Slow(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            nonlocal seen
            for _ in range(data.count(b"\r\n\r\n")):
                seen += 1
                asyncio.get_running_loop().call_later(DELAY_S, self.answer)

        def answer(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(ANSWER)  # type: ignore[attr-defined]

    async def main() -> list[RawInterval]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Slow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        peak = max(step.users for step in steps)
        spec = WorkerSpec(
            target=Target.parse(f"http://127.0.0.1:{port}"),
            client=ClientSettings(connections=peak),
            mode=LoopMode.CLOSED,
            start_ns=time.monotonic_ns() + 100_000_000,
            warm_connections=peak,
            drain_s=2.0,
            user_steps=steps,
        )
        raws: list[RawInterval] = []
        async with server:
            await run_worker(spec, FixedSource(Request()), raws.append, lambda: False)
        return raws

    raws = uvloop.run(main())
    return raws, seen


def test_users_go_up_and_down_step_by_step() -> None:
    steps = (
        UserStep("up-0", 0, 2, 2),
        UserStep("up-1", 2, 4, 5),
        UserStep("down", 4, 6, 1),
        UserStep("think", 6, 8, 3, think_s=DELAY_S),
    )
    raws, seen = run_steps(steps)
    full = [raw for raw in raws if raw.end_s - raw.start_s == 1.0]
    assert [raw.stage for raw in full] == ["up-0"] * 2 + ["up-1"] * 2 + ["down"] * 2 + ["think"] * 2
    # Answers still in flight at the end are drained into a last, partial second of the last step.
    assert {raw.stage for raw in raws[len(full) :]} <= {"think"}
    # More users start at once; fewer end as their requests finish, within the step's first
    # second (the old users' requests were in flight as it began).
    assert [raw.inflight_max for raw in full[:6]] == [2, 2, 5, 5, 5, 1]
    # Thinking as long as the server takes, a user has a request in flight half the time.
    assert max(raw.inflight_max for raw in full[6:]) <= 3
    for raw in full[1:4] + full[5:6]:
        users = next(step.users for step in steps if step.label == raw.stage)
        assert raw.sent == pytest.approx(users / DELAY_S, rel=0.2), raw.stage
    assert sum(raw.sent for raw in full[6:]) == pytest.approx(2 * 3 / (2 * DELAY_S), rel=0.2)
    assert seen == sum(raw.sent for raw in raws)
    assert sum(raw.errors.get("ok", 0) for raw in raws) == seen


def test_a_step_without_users_for_this_worker_sends_nothing_and_still_records_its_seconds() -> None:
    raws, seen = run_steps((UserStep("s-0", 0, 1, 0), UserStep("s-1", 1, 2, 1)))
    full = [raw for raw in raws if raw.end_s - raw.start_s == 1.0]
    assert [(raw.stage, raw.sent > 0) for raw in full] == [("s-0", False), ("s-1", True)]
    assert seen == sum(raw.sent for raw in raws)


@pytest.mark.parametrize(
    ("start", "end", "users"),
    [(0.5, 2, 1), (2, 2, 1), (0, 1, -1)],
    ids=["start-inside-a-second", "empty", "negative-users"],
)
def test_a_user_step_refuses_what_it_cannot_play(start: float, end: float, users: int) -> None:
    with pytest.raises(ValueError, match="a step starts at a whole second, ends after it"):
        UserStep("x", start, end, users)
