"""An HTTP/1.1 server that counts the request targets it receives, run as its own process.

``GET /__counts`` answers ``{"target": count, ...}`` for every other request seen so far;
``--delay`` holds each answer back that many seconds (to make a target slower than an SLA).
It prints ``PORT <n>`` when listening on 127.0.0.1 (port 0: any free one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import Counter

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Cache: MISS\r\n\r\nok"


class Handler(asyncio.Protocol):
    def __init__(self, counts: Counter[str], delay: float) -> None:
        self.counts, self.delay = counts, delay
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    # Bodies are skipped (the test plans send none, but stay in step if one does).
                    self.buf = self.buf[int(value.strip()) :]
            self.handle(head.split(b"\r\n", 1)[0])

    def handle(self, request_line: bytes) -> None:
        transport = self.transport
        if transport is None:
            return
        parts = request_line.split(b" ")
        target = parts[1].decode("latin-1") if len(parts) > 1 else ""
        if target == "/__counts":
            body = json.dumps(dict(self.counts)).encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
            transport.write(head + body)
            return
        self.counts[target] += 1
        if self.delay > 0:
            asyncio.get_running_loop().call_later(
                self.delay, lambda: transport.is_closing() or transport.write(OK)
            )
        else:
            transport.write(OK)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Handler(counts, args.delay), "127.0.0.1", 0, backlog=1024
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
