"""CPU per request of one worker, in process (no coordinator), beside the floor of a bare loop.

Against a local nginx (start one as bench/generator_benchmark.py does, on core 1), pinned to
core 0:

    taskset -c 0 python bench/engine_cost.py --url http://127.0.0.1:18099 --seconds 5

Prints, for a closed loop of 50 connections, requests per second and user / system CPU
microseconds per request for (1) a bare uvloop + httptools loop that sends the next request
on each answer (the floor a Python generator can reach), (2) loadplan's worker with its hot
path compiled (as installed) and (3) the same worker interpreted (``LOADPLAN_INTERPRETED=1``),
each in its own process, one after the other. The difference is what loadplan's own code costs
per request. Load goes to 127.0.0.1 only and stops after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httptools
import uvloop

from loadplan.engine.build import INTERPRETED_ENV, engine_build
from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.request import FixedSource, Request
from loadplan.engine.worker import LoopMode, WorkerSpec, run_worker

CONNECTIONS = 50


async def bare_loop(host: str, port: int, seconds: float) -> int:
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    done = 0

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.parser = httptools.HttpResponseParser(self)
            self.complete = False

        def data_received(self, data: bytes) -> None:
            nonlocal done
            self.parser.feed_data(data)
            if self.complete:
                self.complete = False
                done += 1
                self.transport.write(request)  # type: ignore[attr-defined]

        def on_message_complete(self) -> None:
            self.complete = True

    loop = asyncio.get_running_loop()
    conns = [await loop.create_connection(Echo, host, port) for _ in range(CONNECTIONS)]
    for transport, _ in conns:
        transport.write(request)
    await asyncio.sleep(seconds)
    for transport, _ in conns:
        transport.close()
    return done


def loadplan_worker(url: str, seconds: float) -> int:
    spec = WorkerSpec(
        target=Target.parse(url),
        client=ClientSettings(connections=CONNECTIONS),
        mode=LoopMode.CLOSED,
        users=CONNECTIONS,
        duration_s=seconds,
        start_ns=time.monotonic_ns() + 200_000_000,
        warm_connections=CONNECTIONS,
    )
    completed = 0

    def emit(raw: object) -> None:
        nonlocal completed
        completed += sum(raw.errors.values())  # type: ignore[attr-defined]

    uvloop.run(run_worker(spec, FixedSource(Request(target="/")), emit, lambda: False))
    return completed


def measure(name: str, run: object, seconds: float) -> None:
    before, started = os.times(), time.monotonic()
    done = run()  # type: ignore[operator]
    after, wall = os.times(), time.monotonic() - started
    user = (after.user - before.user) / max(done, 1) * 1e6
    system = (after.system - before.system) / max(done, 1) * 1e6
    print(
        f"{name:<22} {done / seconds:>9,.0f} req/s   user {user:5.1f} µs   system {system:5.1f} "
        f"µs   total {user + system:5.1f} µs per request   ({wall:.1f} s wall)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:18099")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--worker-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("engine_cost: load goes to 127.0.0.1 or localhost only")
    host, port = parts.hostname, parts.port or 80
    if args.worker_only:
        name = f"loadplan {engine_build().label}"
        measure(name, lambda: loadplan_worker(args.url, args.seconds), args.seconds)
        return
    measure(
        "bare uvloop loop", lambda: uvloop.run(bare_loop(host, port, args.seconds)), args.seconds
    )
    # Each engine in a process of its own: a module is compiled or not for a whole process.
    for interpreted in ("", "1"):
        env = {**os.environ, INTERPRETED_ENV: interpreted}
        command = [sys.executable, __file__, "--worker-only", "--url", args.url]
        subprocess.run([*command, "--seconds", str(args.seconds)], env=env, check=True)


if __name__ == "__main__":
    main()
