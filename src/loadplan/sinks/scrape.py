"""Reads the target's Prometheus endpoints during a run and keeps the samples that matter.

A ``Scraper`` is a coordinator service: one thread that GETs each endpoint every ``interval``
(once before the load starts, then on the run's clock, and once more at the end), parses the text
exposition format with ``prometheus_client``'s parser, and appends one JSON line per endpoint and
scrape to ``target_metrics.jsonl`` in the run directory::

    {"t_s": 5.0, "endpoint": "http://127.0.0.1:8080/metrics", "up": 1,
     "process_cpu_seconds_total": 3.1, "process_resident_memory_bytes": 81264640,
     "process_start_time_seconds": 1764191234.5, "refservice_cache_hits_total": 8812.0,
     "refservice_cache_misses_total": 190.0}

``t_s`` is seconds from the run's start on the same clock as the snapshots. Values are raw
samples (counters as counters): rates and ratios over any window come from two rows, as
``results/target_metrics.py`` and the report compute them. A failed scrape is a line with
``"up": 0`` and the error: errors are counted, never raised, and every request is bounded by
``timeout`` so a hung target cannot hold the coordinator. A line that cannot be written (a
full disk) is not written at all, and the file is left at its last whole line: the run log
beside it fails on the same disk and ends the run with one line.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from loadplan.results.linefile import LineFile

PROCESS_SERIES = (
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
)
"""What the standard client libraries export for every process (Go, Python, Java, ...)."""

MAX_BYTES = 16 * 1024 * 1024


def parse_exposition(text: str, names: Iterable[str]) -> dict[str, float]:
    """Each wanted sample name's value, summed over its label sets (ValueError if malformed).

    Example::

        parse_exposition("# TYPE x counter\\nx_total{a=\\"1\\"} 2\\nx_total{a=\\"2\\"} 3\\n",
                         ["x_total"])   # {"x_total": 5.0}
    """
    wanted = set(names)
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in wanted:
                out[sample.name] = out.get(sample.name, 0.0) + float(sample.value)
    return out


class Scraper:
    """A ``Service`` scraping ``urls`` on a thread of the coordinator.

    Example::

        scraper = Scraper(["http://127.0.0.1:8080/metrics"], interval_s=5, timeout_s=2,
                          names=PROCESS_SERIES, out_path=run_dir / TARGET_METRICS)
        scraper.start(start_ns)
        ...
        scraper.stop()
        scraper.rows        # every line written, in order
    """

    def __init__(
        self,
        urls: Iterable[str],
        interval_s: float,
        timeout_s: float,
        names: Iterable[str],
        out_path: Path | None = None,
        cache_names: tuple[str, str] = ("", ""),
        clock_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.urls = tuple(urls)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.names = tuple(dict.fromkeys((*PROCESS_SERIES, *cache_names, *names)))
        self.names = tuple(n for n in self.names if n)
        self.out_path = out_path
        self.rows: list[dict[str, Any]] = []
        self.scrapes = 0
        self.failures: Counter[str] = Counter()
        self._clock_ns = clock_ns
        self._start_ns = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._out: LineFile | None = None
        self.write_error: str | None = None
        """Why target_metrics.jsonl stopped growing (a full disk), or None."""

    def start(self, start_ns: int) -> None:
        self._start_ns = start_ns
        if self.out_path is not None:
            try:
                self._out = LineFile(self.out_path)
            except OSError as exc:
                self.write_error = exc.strerror or type(exc).__name__
        self._thread = threading.Thread(target=self._loop, name="loadplan-scrape", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s * len(self.urls) + 5)
            if not self._thread.is_alive():
                self.scrape_once()  # the counters at the end close the last stage's window
            self._thread = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def _loop(self) -> None:
        self.scrape_once()
        k = 0
        while True:
            due_ns = self._start_ns + int(k * self.interval_s * 1e9)
            if self._stop.wait(max(due_ns - self._clock_ns(), 0) / 1e9):
                return
            self.scrape_once()
            k = max(k + 1, int((self._clock_ns() - self._start_ns) / (self.interval_s * 1e9)) + 1)

    def scrape_once(self) -> None:
        for url in self.urls:
            t_s = round((self._clock_ns() - self._start_ns) / 1e9, 3)
            row: dict[str, Any] = {"t_s": t_s, "endpoint": url}
            try:
                values = parse_exposition(self._fetch(url), self.names)
            except Exception as exc:  # counted, never raised: a scrape must not end a run
                reason = _reason(exc)
                self.failures[reason] += 1
                row |= {"up": 0, "error": reason}
            else:
                row |= {"up": 1, **values}
            self.scrapes += 1
            self.rows.append(row)
            if self._out is not None:
                self._write(self._out, row)

    def _write(self, out: LineFile, row: dict[str, Any]) -> None:
        try:
            out.append((json.dumps(row, separators=(",", ":")) + "\n").encode())
        except OSError as exc:
            # Never raised on this thread (a traceback, and a coordinator that never hears of
            # it): the rows stay in memory and the file ends at its last whole line.
            self.write_error = exc.strerror or type(exc).__name__
            out.close()
            self._out = None

    def _fetch(self, url: str) -> str:
        request = urllib.request.Request(url, headers={"Accept": "text/plain"})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
            body: bytes = reply.read(MAX_BYTES)
        return body.decode("utf-8", errors="replace")

    def report(self) -> dict[str, Any]:
        """How scraping went, for summary.json."""
        return {
            "endpoints": list(self.urls),
            "interval_s": self.interval_s,
            "scrapes": self.scrapes,
            "failed": sum(self.failures.values()),
            "errors": dict(self.failures.most_common(5)),
        }


def _reason(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ValueError):
        return f"not Prometheus text: {exc}"[:120]
    return f"{type(exc).__name__}: {exc}"[:120]
