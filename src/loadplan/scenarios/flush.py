"""Cache flushes before cold-cache stages, through the target's admin hook.

A ``CacheFlusher`` is a coordinator service: one thread that waits for each stage marked
``flush_cache`` and calls ``[admin] cache_flush`` just before the stage begins, so the stage
starts cold. Without a hook in the plan nothing is called and the event says so: the "cold"
stage then ran against whatever the cache held, and the verdict table notes it. A failed call is
recorded, never raised: the run goes on. Each event goes to ``on_event`` as it happens (the
session writes it to the run directory's events.jsonl).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loadplan.results.events import CACHE_FLUSH, RunEvent

LEAD_S = 0.1
"""Flush this long before the stage: its first requests should find the cache already empty."""


@dataclass(frozen=True, slots=True)
class FlushHook:
    """How to call the target's flush: URL, method, headers, timeout."""

    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    timeout_s: float = 5.0

    def call(self) -> tuple[bool, str]:
        request = urllib.request.Request(
            self.url, data=b"" if self.method != "GET" else None, method=self.method
        )
        for name, value in self.headers:
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                body = reply.read(200).decode("utf-8", errors="replace").strip()
                return True, f"HTTP {reply.status}: {body}"
        except urllib.error.HTTPError as exc:
            return False, f"{self.url} answered HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return False, f"{self.url} unreachable: {reason}"


class CacheFlusher:
    """A ``Service`` that flushes the cache before each stage in ``stages`` (name, start_s).

    Example::

        flusher = CacheFlusher(FlushHook("http://127.0.0.1:8080/admin/cache/flush"),
                               [("cache-cold", 240.0)])
        flusher.start(start_ns); ...; flusher.stop()
        flusher.events     # [RunEvent("cache flush", 239.9, "cache-cold", True, "HTTP 200: ...")]
    """

    def __init__(
        self,
        hook: FlushHook | None,
        stages: Sequence[tuple[str, float]],
        clock_ns: Callable[[], int] = time.monotonic_ns,
        on_event: Callable[[RunEvent], None] = lambda event: None,
    ) -> None:
        self.hook = hook
        self.stages = tuple(stages)
        self.events: list[RunEvent] = []
        self._on_event = on_event
        self._clock_ns = clock_ns
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_ns = 0

    def start(self, start_ns: int) -> None:
        self._start_ns = start_ns
        if self.hook is None:
            why = "no [admin] cache_flush in the plan; the stage ran on a warm cache"
            for name, _ in self.stages:
                self._record(RunEvent(CACHE_FLUSH, None, name, False, why))
            return
        self._thread = threading.Thread(
            target=self._loop, args=(self.hook,), name="loadplan-flush", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=(self.hook.timeout_s if self.hook else 0) + 5)
            self._thread = None

    def _loop(self, hook: FlushHook) -> None:
        for name, start_s in self.stages:
            due_ns = self._start_ns + int((start_s - LEAD_S) * 1e9)
            if self._stop.wait(max(due_ns - self._clock_ns(), 0) / 1e9):
                return
            t_s = round((self._clock_ns() - self._start_ns) / 1e9, 3)
            ok, detail = hook.call()
            self._record(RunEvent(CACHE_FLUSH, t_s, name, ok, detail))

    def _record(self, event: RunEvent) -> None:
        self.events.append(event)
        self._on_event(event)
