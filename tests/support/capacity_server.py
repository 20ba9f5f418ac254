"""An HTTP/1.1 server of known capacity: ``--slots`` servers of ``--service`` seconds, FIFO.

Each request waits for a free slot in arrival order, holds it for exactly the service time, then
is answered 200. Under Poisson arrivals that is an M/D/c queue, whose latency percentiles at any
rate a test can simulate, so a capacity estimate can be checked against the truth. It prints
``PORT <n>`` when listening. Run as its own process by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Slots:
    """c servers; a request takes the earliest free one (FIFO), times kept on the loop's clock."""

    def __init__(self, loop: asyncio.AbstractEventLoop, slots: int, service_s: float) -> None:
        self.loop, self.service_s = loop, service_s
        self.free_at = [0.0] * slots

    def finish_time(self) -> float:
        # M/D/c FIFO: the arrival goes to the server that frees first, at max(now, its time).
        i = min(range(len(self.free_at)), key=self.free_at.__getitem__)
        start = max(self.loop.time(), self.free_at[i])
        self.free_at[i] = start + self.service_s
        return self.free_at[i]


class Handler(asyncio.Protocol):
    def __init__(self, slots: Slots) -> None:
        self.slots = slots
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.answers: collections.deque[float] = collections.deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            # Answers on one connection go out in order; each at its own finish time.
            self.slots.loop.call_at(self.slots.finish_time(), self.answer)

    def answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(OK)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--service", type=float, default=0.02)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    slots = Slots(loop, args.slots, args.service)
    server = await loop.create_server(lambda: Handler(slots), "127.0.0.1", 0, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
