"""CPU per request of loadplan's own per-request code, without sockets: compiled vs interpreted.

One connection whose transport swallows writes; each request is ``Pool.submit`` (wire bytes,
write, bookkeeping) followed by ``Connection.data_received`` with a 95-byte nginx answer (httptools
parse, outcome recorded with two tags). No kernel, no event loop, no other process: on a VM whose
speed drifts by a third within a minute, this is the figure that still tells two builds apart.
The compiled engine (as installed) and the interpreted one (``LOADPLAN_INTERPRETED=1``) run in
turn, each in its own process, ``--rounds`` times; each prints its best of five passes.

    taskset -c 0 python bench/hot_path_cost.py --rounds 6

Sends nothing anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from loadplan.engine.build import INTERPRETED_ENV, engine_build
from loadplan.engine.client import ClientSettings, Connection, Pool, Target
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import Request

ANSWER = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\nX-Cache: HIT\r\n\r\nok\n"
PASSES = 5


class _Sink:
    """A transport that accepts every write and sends nothing."""

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        pass


def cost_per_request(requests: int) -> float:
    """Best CPU µs per request over ``PASSES`` passes of ``requests`` each."""
    loop = asyncio.new_event_loop()
    recorder = Recorder()
    target = Target.parse("http://127.0.0.1:1")
    pool = Pool(target, ClientSettings(connections=1), recorder, loop)
    conn = Connection(pool)
    conn.connection_made(_Sink())  # type: ignore[arg-type]
    pool.idle.append(conn)
    tags = (("lang", "en"), ("bucket", "head"))
    distinct = [Request(target=f"/search?q=w{i}&lang=en", tags=tags) for i in range(1000)]
    now = time.monotonic_ns
    best = float("inf")
    for _ in range(PASSES):
        started = time.process_time()
        for i in range(requests):
            pool.submit(now(), distinct[i % 1000])
            conn.data_received(ANSWER)
        best = min(best, (time.process_time() - started) / requests * 1e6)
        recorder.cut(0, 0.0, 1.0)  # as the worker does every second: memory stays bounded
    loop.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=400_000)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(f"{engine_build().label:<12} {cost_per_request(args.requests):.2f}", flush=True)
        return
    print("engine       CPU µs per request (best of 5 passes)")
    for _ in range(args.rounds):
        for interpreted in ("", "1"):
            env = {**os.environ, INTERPRETED_ENV: interpreted}
            command = [sys.executable, __file__, "--one", "--requests", str(args.requests)]
            subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
