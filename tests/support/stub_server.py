"""A tiny HTTP/1.1 server with known misbehaviours, run as its own process by the tests.

Modes: ok, freeze (every answer held back during one window), slow (every answer held back
``--delay`` seconds), reset (RST on each request), garbage (answers that are not HTTP), silent
(never answers), status500, and three hostile ones: trickle (the answer a byte every
``--delay`` seconds), hugeheaders (``--header-bytes`` of headers before the body), endless (a
chunked body that never ends).
It prints ``PORT <n>`` when listening on 127.0.0.1 (``--port`` asks for one: a restarted stub
takes its old port). ``GET /__stats`` returns how many requests it has seen; ``--count-file``
keeps that count in a file, written before each answer, so it outlives a SIGKILL.
``GET /__counts`` answers ``{"target": count, ...}`` for every other request target seen so far
(what the export tests hold a script's mix against). Request bodies are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import time
from collections import Counter

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Cache: HIT\r\n\r\nok"
ERR = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail"


class Stats:
    def __init__(self, count_file: str = "") -> None:
        self.requests = 0
        self.targets: Counter[str] = Counter()
        self.first: float | None = None
        self.fd = os.open(count_file, os.O_WRONLY | os.O_CREAT, 0o644) if count_file else -1

    def count(self, target: str) -> None:
        self.requests += 1
        self.targets[target] += 1
        if self.fd >= 0:
            # Fixed width at offset 0: one pwrite, never a torn or shorter number.
            os.pwrite(self.fd, b"%20d\n" % self.requests, 0)


class Handler(asyncio.Protocol):
    def __init__(self, args: argparse.Namespace, stats: Stats) -> None:
        self.args, self.stats = args, stats
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
                if name.strip().lower() == b"content-length" and value.strip().isdigit():
                    # Bodies are skipped (the tests send none, but stay in step if one does).
                    self.buf = self.buf[int(value.strip()) :]
            self.handle(head)

    def handle(self, head: bytes) -> None:
        assert self.transport is not None
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        target = parts[1].decode("latin-1") if len(parts) > 1 else ""
        if target in ("/__stats", "/__counts"):
            seen = {"requests": self.stats.requests} if target == "/__stats" else self.stats.targets
            body = json.dumps(seen).encode()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            return
        now = time.monotonic()
        self.stats.count(target)
        if self.stats.first is None:
            self.stats.first = now
        mode = self.args.mode
        if mode == "ok":
            self.transport.write(OK)
        elif mode == "status500":
            self.transport.write(ERR)
        elif mode == "garbage":
            self.transport.write(b"SPEAKING NONSENSE\x00\x01\r\n\r\n")
        elif mode == "silent":
            pass
        elif mode == "reset":
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
        elif mode == "slow":
            transport = self.transport
            asyncio.get_running_loop().call_later(
                self.args.delay, lambda: transport.is_closing() or transport.write(OK)
            )
        elif mode == "trickle":
            asyncio.get_running_loop().create_task(self.trickle(OK))
        elif mode == "hugeheaders":
            line = b"X-Filler: " + b"a" * 990 + b"\r\n"
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
            self.transport.write(head + line * (self.args.header_bytes // len(line)) + b"\r\nok")
        elif mode == "endless":
            asyncio.get_running_loop().create_task(self.endless())
        elif mode == "freeze":
            start = self.stats.first + self.args.freeze_at
            end = start + self.args.freeze_for
            if start <= now < end:
                transport = self.transport
                asyncio.get_running_loop().call_later(
                    end - now, lambda: transport.is_closing() or transport.write(OK)
                )
            else:
                self.transport.write(OK)

    async def trickle(self, answer: bytes) -> None:
        transport = self.transport
        assert transport is not None
        for i in range(len(answer)):
            if transport.is_closing():
                return
            transport.write(answer[i : i + 1])
            await asyncio.sleep(self.args.delay)

    async def endless(self) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (16384, b"z" * 16384)
        while not transport.is_closing():
            transport.write(chunk)
            await asyncio.sleep(0.005)  # ~3 MB/s: endless, without spending the machine's CPU


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--freeze-at", type=float, default=2.0)
    parser.add_argument("--freeze-for", type=float, default=1.0)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--header-bytes", type=int, default=1 << 20)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count-file", default="")
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    args = parser.parse_args()
    context = None
    if args.tls_cert:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    stats = Stats(args.count_file)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Handler(args, stats), "127.0.0.1", args.port, backlog=4096, ssl=context
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
