"""``--workers N``: N server processes accepting on one listening socket.

The parent binds the socket (so ``--port 0`` resolves once), builds or reuses the index once,
then spawns the workers. Each worker opens the index read-only and its own cache and metrics
(an LRU cache and ``/metrics`` are therefore per process; with Redis the cache is shared). The
parent prints the ready line only when every worker accepts connections, and on SIGTERM or
SIGINT asks each to stop gracefully, waits, and kills any that hang.

uvicorn's own ``workers=`` option needs an import string and reports no readiness, which is why
the supervision is done here; the socket hand-over is the same as uvicorn's (spawn, pass the
socket object).
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections.abc import Callable, Sequence
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING

from loadplan.refservice.config import ServiceConfig
from loadplan.refservice.errors import ServiceStartError

if TYPE_CHECKING:
    from loadplan.refservice.process import StopSignals

_START_TIMEOUT = 120.0
_STOP_TIMEOUT = 10.0


def run_workers(
    config: ServiceConfig,
    index_path: Path,
    sock: socket.socket,
    on_ready: Callable[[], None],
    signals: StopSignals,
) -> None:
    """Run ``config.workers`` processes until a stop signal; raise if a worker dies early."""
    ctx = multiprocessing.get_context("spawn")
    events = [ctx.Event() for _ in range(config.workers)]
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(config, str(index_path), sock, events[i], i),
            name=f"loadplan-target-{i}",
        )
        for i in range(config.workers)
    ]
    for proc in procs:
        proc.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not all(e.is_set() for e in events):
            _check_alive(procs)
            if time.monotonic() > deadline:
                msg = f"--workers {config.workers}: workers not ready in {_START_TIMEOUT:g} s"
                raise ServiceStartError(msg)
            if signals.received is not None:
                return
            time.sleep(0.05)
        on_ready()
        while signals.received is None:
            _check_alive(procs)
            time.sleep(0.1)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn in the worker shuts down gracefully
        for proc in procs:
            proc.join(_STOP_TIMEOUT)
            if proc.is_alive():
                proc.kill()
                proc.join()
            proc.close()


def _check_alive(procs: Sequence[multiprocessing.process.BaseProcess]) -> None:
    for proc in procs:
        if not proc.is_alive():
            msg = f"worker {proc.name} exited with code {proc.exitcode}; see its error above"
            raise ServiceStartError(msg)


def _worker_main(
    config: ServiceConfig, index_path: str, sock: socket.socket, ready: Event, worker: int
) -> None:
    """Entry point of a worker process (spawned: a fresh interpreter, imports done here)."""
    from loadplan.refservice.process import ReadyServer, StopSignals, make_parts, uvicorn_config

    with StopSignals() as signals:
        signals.serving = True
        server = ReadyServer(
            uvicorn_config(make_parts(config, Path(index_path), worker)), on_ready=ready.set
        )
        server.run(sockets=[sock])
