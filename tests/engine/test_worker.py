"""The worker's end: what a stop sends, waits for and counts (over real sockets)."""

from __future__ import annotations

import asyncio
import time

import uvloop

from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import FixedSource, Request
from loadplan.engine.worker import WorkerSpec, run_worker
from loadplan.schedule.stages import RateProfile

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_a_stop_sends_nothing_more_and_waits_for_what_is_in_flight() -> None:
    # Two connections, answers after 0.4 s, 20 req/s: requests pile up waiting for a
    # connection. Stopped at 0.9 s, the worker must not send the queued ones as connections free
    # up, and must still count the answers to the two requests in flight.
    arrivals: list[float] = []

    class Slow(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            for _ in range(data.count(b"\r\n\r\n")):
                arrivals.append(time.monotonic())
                asyncio.get_running_loop().call_later(0.4, self.answer)

        def answer(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(ANSWER)  # type: ignore[attr-defined]

    async def main() -> tuple[list[RawInterval], float]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Slow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        start = time.monotonic_ns() + 50_000_000
        stop_at = start / 1e9 + 0.9
        spec = WorkerSpec(
            target=Target.parse(f"http://127.0.0.1:{port}"),
            client=ClientSettings(connections=2),
            profile=RateProfile.constant(20, 5.0),
            start_ns=start,
            warm_connections=2,
            drain_s=5.0,
        )
        raws: list[RawInterval] = []
        async with server:
            await run_worker(
                spec, FixedSource(Request()), raws.append, lambda: time.monotonic() >= stop_at
            )
        return raws, stop_at

    raws, stop_at = uvloop.run(main())
    sent = sum(raw.sent for raw in raws)
    completed = sum(sum(raw.errors.values()) for raw in raws)
    due = sum(raw.due for raw in raws)
    assert due > sent  # requests were waiting for a connection when it stopped
    assert [t for t in arrivals if t > stop_at + 0.1] == []  # none of them was sent after
    assert len(arrivals) == sent == completed  # and every request sent was counted
    assert sum(raw.errors.get("ok", 0) for raw in raws) == completed
