"""Workers as forked processes on this machine, one event loop each, reporting over pipes.

Each second every worker sends its raw second over a pipe, from a thread of its own: a
second's raw values are megabytes at tens of thousands of requests a second and a pipe holds
64 KB, so sent from the event loop each second would stall dispatch until the coordinator had
read it all. A worker ignores Ctrl-C and SIGTERM (the coordinator owns them and asks it to stop)
and stops on its own if the coordinator dies.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import threading
from collections.abc import Sequence
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

from loadplan.engine.client import Target
from loadplan.engine.fleet import Report, ReportKind
from loadplan.engine.request import RequestSource
from loadplan.engine.worker import WorkerSpec, run_worker_to_end
from loadplan.scenarios.degraded import how_it_ended


def _worker_main(
    spec: WorkerSpec,
    source: RequestSource,
    conn: multiprocessing.connection.Connection,
    stop: MpEvent,
) -> None:
    # The coordinator owns Ctrl-C: a worker finishes its second and reports when told to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # named for ps and top (15 characters at most)
        Path("/proc/self/comm").write_text(f"loadplan-w{spec.worker}"[:15], encoding="ascii")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import gc

    # Everything alive now (the workload's pools and tables, imported modules) lives for the
    # whole run: freezing it keeps the collector from re-scanning millions of objects, which
    # paused the pacer for tens of milliseconds at a time.
    gc.freeze()
    parent = os.getppid()

    def should_stop() -> bool:
        # A parent that died (kill -9) leaves us re-parented: stop rather than load on alone.
        return stop.is_set() or os.getppid() != parent

    # Pickling a few array copies holds the GIL for about a millisecond; the writes release it.
    outbox: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()

    def send_all() -> None:
        while (message := outbox.get()) is not None:
            try:
                conn.send(message)
            except OSError:  # the coordinator is gone
                stop.set()

    sender = threading.Thread(target=send_all, name="loadplan-sender", daemon=True)
    sender.start()
    try:
        failed = run_worker_to_end(spec, source, lambda raw: outbox.put(("snap", raw)), should_stop)
        outbox.put(("done", None) if failed is None else ("error", failed))
    finally:
        outbox.put(None)
        sender.join()
        conn.close()


class ProcessFleet:
    """``workers`` forked processes; they inherit the request source built before the fork."""

    def __init__(self, workers: int) -> None:
        self._size = workers
        self._ctx = multiprocessing.get_context("fork")
        self._stop = self._ctx.Event()
        self._source: RequestSource | None = None
        self._pipes: list[multiprocessing.connection.Connection] = []
        self._procs: list[multiprocessing.process.BaseProcess] = []
        self._open: list[multiprocessing.connection.Connection] = []
        self._owner: dict[int, int] = {}

    @property
    def size(self) -> int:
        return self._size

    @property
    def lead_ns(self) -> int:
        # Forking is quick; each worker then opens its warm connections before the start.
        return 300_000_000 + 20_000_000 * self._size

    def prepare(self, target: Target, source: RequestSource) -> dict[str, Any] | None:
        self._source = source
        return None

    def start(self, specs: Sequence[WorkerSpec]) -> None:
        assert self._source is not None, "prepare() first"
        for spec in specs:
            parent_end, child_end = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(
                target=_worker_main,
                args=(spec, self._source, child_end, self._stop),
                name=f"loadplan-worker-{spec.worker}",
                daemon=True,
            )
            proc.start()
            child_end.close()
            self._owner[id(parent_end)] = spec.worker
            self._pipes.append(parent_end)
            self._procs.append(proc)
        self._open = list(self._pipes)

    def reports(self, timeout_s: float) -> list[Report]:
        if not self._open:
            return []
        out = []
        for ready in multiprocessing.connection.wait(self._open, timeout=timeout_s):
            assert isinstance(ready, multiprocessing.connection.Connection)
            worker = self._owner[id(ready)]
            try:
                kind, payload = ready.recv()
            except (EOFError, OSError):
                kind, payload = "lost", None
            if kind == "snap":
                out.append(Report(worker, ReportKind.SNAP, raw=payload))
                continue
            if kind == "error":
                out.append(Report(worker, ReportKind.ERROR, why=str(payload)))
            elif kind == "lost":
                out.append(Report(worker, ReportKind.LOST, why=how_it_ended(self._procs[worker])))
            else:
                out.append(Report(worker, ReportKind.DONE))
            self._open.remove(ready)
        return out

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> dict[str, Any] | None:
        self._stop.set()
        for proc in self._procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2)
        for pipe in self._pipes:
            pipe.close()
        return None
