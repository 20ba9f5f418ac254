"""The target's own metrics as a report reads them from ``target_metrics.jsonl``.

The target scraper (a sink) writes one JSON row per scrape: ``t_s`` (seconds from the run's
start) and metric values, flat or nested one level (``{"t_s": 3.0, "process_cpu_seconds_total":
12.5, ...}``). This module only reads the file, leniently, and picks three things a load-test
report needs: CPU (cores), resident memory (MiB) and the cache hit ratio. Names are matched by
meaning, not by one exporter's spelling, so the reference service's ``process_*`` and
``refservice_cache_*`` names work and so do most others.

Counters (names ending in ``_total``, or CPU given in seconds) are turned into rates between
scrapes; a counter that goes down (the target restarted) gives no point for that step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from loadplan.results.target_metrics import TARGET_METRICS

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Series:
    """One plotted line: ``values[i]`` at ``t_s[i]`` seconds from the run's start."""

    name: str
    unit: str
    t_s: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TargetMetrics:
    """What the report shows of the target's metrics (each tuple may be empty)."""

    cpu: tuple[Series, ...]
    memory: tuple[Series, ...]
    cache_hit_ratio: Series | None
    rows: int


def _flatten(row: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not prefix:
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield name, float(value)


def _rows(path: Path) -> list[tuple[float, dict[str, float]]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break  # torn last line of a killed run
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                break
            if not isinstance(raw, Mapping) or "t_s" not in raw:
                continue
            values = dict(_flatten({k: v for k, v in raw.items() if k != "t_s"}))
            rows.append((float(raw["t_s"]), values))
    return rows


def _is_counter(name: str) -> bool:
    return name.endswith(("_total", "_seconds"))


def _series(rows: list[tuple[float, dict[str, float]]], name: str, unit: str) -> Series:
    points = [(t, v[name]) for t, v in rows if name in v]
    if _is_counter(name):
        rated = [
            (t1, (v1 - v0) / (t1 - t0))
            for (t0, v0), (t1, v1) in pairwise(points)
            if t1 > t0 and v1 >= v0
        ]
        points = rated
    scale = 1.0 / MIB if unit == "MiB" and "bytes" in name else 1.0
    return Series(
        name=f"{name} (per second)" if _is_counter(name) else name,
        unit=unit,
        t_s=tuple(t for t, _ in points),
        values=tuple(v * scale for _, v in points),
    )


def _hit_ratio(rows: list[tuple[float, dict[str, float]]], names: set[str]) -> Series | None:
    hits = next((n for n in sorted(names) if "cache_hit" in n), None)
    misses = next((n for n in sorted(names) if "cache_miss" in n), None)
    if hits is None or misses is None:
        return None
    points = [(t, v[hits], v[misses]) for t, v in rows if hits in v and misses in v]
    t_s, ratio = [], []
    for (_, h0, m0), (t1, h1, m1) in pairwise(points):
        lookups = (h1 - h0) + (m1 - m0)
        if lookups > 0 and h1 >= h0 and m1 >= m0:
            t_s.append(t1)
            ratio.append((h1 - h0) / lookups)
    return Series("target cache hit ratio", "ratio", tuple(t_s), tuple(ratio))


def read_target_metrics(run_dir: Path) -> TargetMetrics | None:
    """The target's metrics in ``run_dir``, or None when they were not scraped."""
    path = run_dir / TARGET_METRICS
    if not path.exists():
        return None
    rows = _rows(path)
    names = {n for _, values in rows for n in values}
    cpu = sorted(n for n in names if "cpu" in n.lower())
    memory = sorted(
        n
        for n in names
        if any(w in n.lower() for w in ("resident", "rss", "memory")) and "virtual" not in n
    )
    return TargetMetrics(
        cpu=tuple(_series(rows, n, "cores") for n in cpu),
        memory=tuple(_series(rows, n, "MiB") for n in memory),
        cache_hit_ratio=_hit_ratio(rows, names),
        rows=len(rows),
    )
