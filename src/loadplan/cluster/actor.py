"""One loadplan worker as a Ray actor: the same ``run_worker`` a local process runs.

The actor holds the request source (a copy, from Ray's object store), runs the worker on an
event loop of its own thread, and keeps the seconds it emits until the coordinator takes them.
Its methods are called from Ray's thread pool (``max_concurrency`` > 1): a ``take`` waiting for
the next second must not keep ``stop`` from getting through.

This module imports no Ray: the class is made an actor with ``ray.remote`` by the fleet, so the
module loads where Ray is not installed, and its methods can be tested as plain calls.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import socket
import threading
import time
from dataclasses import replace
from typing import Any

from loadplan.engine.client import Target, encode_all
from loadplan.engine.reach import probe
from loadplan.engine.request import RequestSource
from loadplan.engine.worker import WorkerSpec, run_worker_to_end


def normal_priority() -> int:
    """Put every thread of this process back at niceness 0, where it can; return the niceness
    the process now runs at.

    Ray starts its worker processes at niceness 15 (its ``worker_niceness``), below its own
    raylet and agents on the node: a generator there is the first to wait for a CPU, and its
    requests go out late. Raising the priority needs root or CAP_SYS_NICE (or RLIMIT_NICE);
    without it the niceness stays, and is reported, so a late run can be traced to it. On Linux
    a niceness belongs to a thread, so each thread is set (threads started later inherit it).
    """
    for tid in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]:
        with contextlib.suppress(OSError):  # not allowed, or the thread has ended
            os.setpriority(os.PRIO_PROCESS, int(tid), 0)
    return os.getpriority(os.PRIO_PROCESS, 0)


Message = tuple[str, Any]
"""("snap", RawInterval), ("done", None) or ("error", why): what a worker says, in order."""


class WorkerActor:
    """A worker that a coordinator drives by method calls, possibly from another machine."""

    def __init__(self) -> None:
        self._outbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._source: RequestSource | None = None
        self._thread: threading.Thread | None = None

    def where(self) -> dict[str, Any]:
        """Which node and process this actor is, for meta.json and for a person killing it (the
        node's address is filled in by the coordinator, from the cluster's own node table), and
        the niceness it will send at (see ``normal_priority``)."""
        node_id = ""
        with contextlib.suppress(Exception):  # outside Ray (a plain call): no node
            import ray

            node_id = ray.get_runtime_context().get_node_id()
        nice = normal_priority()
        return {"node_id": node_id, "ip": "", "host": socket.gethostname(), "pid": os.getpid(),
                "nice": nice}  # fmt: skip

    def stamps(self) -> tuple[int, int]:
        """t1 and t2 of a clock exchange: this node's wall clock on receipt and on reply."""
        t1 = time.time_ns()
        return t1, time.time_ns()

    def reach(self, host: str, port: int, timeout_s: float) -> str | None:
        """None if a TCP connect to the target succeeds from here, else why not."""
        failed = probe(host, port, timeout_s)
        return None if failed is None else failed.reason

    def load(self, source: RequestSource, target: Target) -> int:
        """Keep ``source`` for the run and encode its popular requests for ``target`` now, as a
        local coordinator does before it forks; returns how many were encoded."""
        self._source = source
        count = encode_all(target, source.warm())
        # As in a forked worker: what lives now lives for the run; the collector leaves it be.
        gc.freeze()
        return count

    def start(self, spec: WorkerSpec, start_wall_ns: int, offset_ns: float) -> None:
        """Run ``spec`` from the instant ``start_wall_ns`` of the coordinator's wall clock.

        ``offset_ns`` (this node's clock minus the coordinator's) turns it into this node's
        wall clock, then into its monotonic clock, which the worker paces by: a wall clock
        stepped by NTP during the run moves no due time.
        """
        if self._source is None:
            msg = "load() the source before start()"
            raise RuntimeError(msg)
        local_wall = start_wall_ns + round(offset_ns)
        start_ns = time.monotonic_ns() + (local_wall - time.time_ns())
        spec = replace(spec, start_ns=start_ns)
        source = self._source

        def main() -> None:
            failed = run_worker_to_end(spec, source, self._emit, self._stop.is_set)
            self._outbox.put(("done", None) if failed is None else ("error", failed))

        self._thread = threading.Thread(target=main, name=f"loadplan-w{spec.worker}", daemon=True)
        self._thread.start()

    def _emit(self, raw: Any) -> None:
        self._outbox.put(("snap", raw))

    def take(self, wait_s: float) -> list[Message]:
        """What the worker said since the last call; waits up to ``wait_s`` for the first."""
        out: list[Message] = []
        try:
            out.append(self._outbox.get(timeout=wait_s))
        except queue.Empty:
            return out
        while True:
            try:
                out.append(self._outbox.get_nowait())
            except queue.Empty:
                return out

    def stop(self) -> None:
        """Stop sending; the worker reports what it has and says done."""
        self._stop.set()
