"""What the target's own metrics say about a stretch of the run: pure functions of scrape rows.

Rows are the lines of ``target_metrics.jsonl`` (see ``sinks/scrape.py``). Counters are read as
Prometheus counters: a value that goes down means the process restarted and counts from zero
again, so increases are summed pair by pair. Several endpoints add up (several instances).

Example::

    metrics = TargetMetrics(rows, hits="refservice_cache_hits_total",
                            misses="refservice_cache_misses_total")
    metrics.cache_hit_rate(30.0, 90.0)   # 0.93, or None without samples around that window
    metrics.restarts()                   # [("http://127.0.0.1:8080/metrics", 41.0)]
    cuts = metrics.scrape_times(30.0, 90.0)
    metrics.increases(CPU, cuts)         # (0.41, 0.39, ...): CPU seconds between scrapes
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CPU = "process_cpu_seconds_total"
MEMORY = "process_resident_memory_bytes"
START_TIME = "process_start_time_seconds"
TARGET_METRICS = "target_metrics.jsonl"
COVER_SLACK_S = 1.0
"""How far an endpoint's first and last samples may lie inside the cuts asked for and still be
read there: endpoints are scraped one after another, milliseconds apart."""


def read_scrape_rows(run_dir: Path) -> tuple[dict[str, Any], ...] | None:
    """The lines of ``RUN_DIR/target_metrics.jsonl``; None when the run scraped nothing.

    A torn last line (the run was killed mid-write) is left out.
    """
    path = run_dir / TARGET_METRICS
    if not path.exists():
        return None
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if isinstance(row, dict) and isinstance(row.get("t_s"), int | float):
                rows.append(row)
    return tuple(rows)


def counter_increase(values: Sequence[float]) -> float:
    """Total increase of a counter over consecutive samples, across resets (restarts).

    Example::

        counter_increase([10, 15, 3, 5])   # 5 + 3 (reset: counted from 0) + 2 = 10
    """
    return float(sum(_steps(values)))


def _steps(values: Sequence[float]) -> list[float]:
    """Each sample's rise over the one before; after a reset, its whole value."""
    return [
        after - before if after >= before else after for before, after in itertools.pairwise(values)
    ]


@dataclass(frozen=True, slots=True)
class TargetMetrics:
    """Scrape rows, grouped by endpoint, with the cache counter names to read.

    Attributes:
        rows: the scrape rows, in time order.
        hits: sample name of the cache hit counter.
        misses: sample name of the cache miss counter.
    """

    rows: tuple[dict[str, Any], ...]
    hits: str = ""
    misses: str = ""

    def _endpoints(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows:
            if row.get("up"):
                out.setdefault(str(row["endpoint"]), []).append(row)
        return out

    @staticmethod
    def _span(rows: list[dict[str, Any]], t0: float, t1: float) -> list[dict[str, Any]]:
        """The samples bracketing [t0, t1]: the last at or before t0 through the first at or
        after t1 (or as near as the samples go), so counters cover the whole window."""
        before = [i for i, r in enumerate(rows) if r["t_s"] <= t0]
        after = [i for i, r in enumerate(rows) if r["t_s"] >= t1]
        first = before[-1] if before else 0
        last = after[0] if after else len(rows) - 1
        chosen = rows[first : last + 1]
        inside = [r for r in chosen if t0 - 1e-9 <= r["t_s"] <= t1 + 1e-9]
        if len(chosen) < 2 or (not before and not inside):
            return []
        return chosen

    def increase(self, name: str, t0: float, t1: float) -> float | None:
        """How much counter ``name`` rose over [t0, t1], over all endpoints; None if unknown."""
        total, seen = 0.0, False
        for rows in self._endpoints().values():
            span = [r for r in self._span(rows, t0, t1) if name in r]
            if len(span) >= 2:
                total += counter_increase([float(r[name]) for r in span])
                seen = True
        return total if seen else None

    def scrape_times(self, t0: float, t1: float) -> tuple[float, ...]:
        """When the endpoint scraped most often in [t0, t1] was scraped there, in order: where
        per-scrape figures are cut (``increases``)."""
        best: tuple[float, ...] = ()
        for rows in self._endpoints().values():
            times = tuple(float(r["t_s"]) for r in rows if t0 <= r["t_s"] <= t1)
            if len(times) > len(best):
                best = times
        return best

    def increases(self, name: str, cuts: Sequence[float]) -> tuple[float, ...] | None:
        """How much counter ``name`` rose between each two consecutive ``cuts``, over all
        endpoints; None when no endpoint has it, or one that has it was not scraped around
        the cuts (a sum without it would be too low, not unknown).

        Each endpoint's counter is summed across resets (as ``counter_increase``) and read at
        the cuts by linear interpolation between its own samples: exact at its own scrape
        times, so for one endpoint cut at ``scrape_times`` nothing is interpolated.
        """
        if len(cuts) < 2:
            return None
        total = np.zeros(len(cuts) - 1)
        seen = False
        for rows in self._endpoints().values():
            samples = [r for r in rows if name in r]
            if not samples:
                continue
            times = [float(r["t_s"]) for r in samples]
            covered = times[0] <= cuts[0] + COVER_SLACK_S and times[-1] >= cuts[-1] - COVER_SLACK_S
            if len(samples) < 2 or not covered:
                return None
            steps = _steps([float(r[name]) for r in samples])
            cumulative = np.concatenate([[0.0], np.cumsum(steps)])
            total += np.diff(np.interp(np.asarray(cuts, dtype=np.float64), times, cumulative))
            seen = True
        return tuple(float(v) for v in total) if seen else None

    def cache_hit_rate(self, t0: float, t1: float) -> float | None:
        if not (self.hits and self.misses):
            return None
        hits, misses = self.increase(self.hits, t0, t1), self.increase(self.misses, t0, t1)
        if hits is None or misses is None or hits + misses <= 0:
            return None
        return hits / (hits + misses)

    def cpu_cores(self, t0: float, t1: float) -> float | None:
        """Mean CPU of the target's processes over [t0, t1], in cores."""
        total, seen = 0.0, False
        for rows in self._endpoints().values():
            span = [r for r in self._span(rows, t0, t1) if CPU in r]
            if len(span) >= 2 and span[-1]["t_s"] > span[0]["t_s"]:
                used = counter_increase([float(r[CPU]) for r in span])
                total += used / (span[-1]["t_s"] - span[0]["t_s"])
                seen = True
        return round(total, 4) if seen else None

    def memory_max(self, t0: float, t1: float) -> float | None:
        """Peak resident memory (bytes) seen in [t0, t1], summed over endpoints."""
        peaks = [
            max(float(r[MEMORY]) for r in inside)
            for rows in self._endpoints().values()
            if (inside := [r for r in rows if t0 <= r["t_s"] <= t1 and MEMORY in r])
        ]
        return sum(peaks) if peaks else None

    def restarts(self) -> list[tuple[str, float]]:
        """(endpoint, t_s) of each scrape that found a new process start time."""
        found = []
        for endpoint, rows in self._endpoints().items():
            starts = [(r["t_s"], float(r[START_TIME])) for r in rows if START_TIME in r]
            for (_, before), (t_s, after) in itertools.pairwise(starts):
                if abs(after - before) > 0.01:
                    found.append((endpoint, t_s))
        return found

    @property
    def scraped(self) -> bool:
        """At least one successful scrape."""
        return any(row.get("up") for row in self.rows)

    def scrape_report(self, interval_s: float) -> dict[str, Any]:
        """How scraping went, for summary.json: endpoints, scrapes, failures and why."""
        reasons = Counter(str(r.get("error", "?")) for r in self.rows if not r.get("up"))
        return {
            "endpoints": list(dict.fromkeys(str(r.get("endpoint", "")) for r in self.rows)),
            "interval_s": interval_s,
            "scrapes": len(self.rows),
            "failed": sum(reasons.values()),
            "errors": dict(reasons.most_common(5)),
        }

    def describe(self, t0: float, t1: float) -> dict[str, Any]:
        """The per-stage ``target`` block of summary.json."""
        return {
            "cpu_cores": self.cpu_cores(t0, t1),
            "memory_max_bytes": self.memory_max(t0, t1),
            "cache_hit_rate": _round(self.cache_hit_rate(t0, t1)),
            "restarts": sum(1 for _, t in self.restarts() if t0 <= t <= t1),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
