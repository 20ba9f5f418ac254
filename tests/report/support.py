"""Synthetic run directories with known contents, written by the real run-log writer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loadplan.plan.load import load_plan
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.run import RunTotals
from loadplan.results.runlog import SUMMARY, RunLogWriter
from loadplan.results.snapshot import IntervalSnapshot

PLAN = """
[target]
url = "http://127.0.0.1:1"
[load]
arrivals = "uniform"
[[stages]]
type = "constant"
name = "baseline"
rate = 60
duration = "3s"
[[stages]]
type = "spike"
rate = 60
factor = 2
hold = "1s"
recovery = "1s"
"""
"""The plan the synthetic runs claim to come from (its stages match ``RunSpec.stages``)."""

LANGS = ("en", "ja", "ar")
BUCKETS = ("head", "tail")


@dataclass(frozen=True)
class RunSpec:
    """What to write: ``stages`` are (label, seconds, rate); every request gets known tags.

    Each second sends ``rate`` requests split evenly over lang x bucket x cache combinations;
    head requests hit the cache, tail requests miss. Latencies (µs) are ``base_us`` for hits and
    ten times that for misses; ``errors_at`` maps a second index to its http_5xx count.
    """

    stages: Sequence[tuple[str, int, int]] = (("baseline", 3, 60), ("spike", 2, 120))
    base_us: int = 2000
    errors_at: dict[int, int] = field(default_factory=lambda: {3: 6})
    tags: bool = True
    verdict: Any = None
    target_metrics: bool = False
    killed: bool = False
    lag_us: int = 200
    cpu: float = 0.3


def write_run(run_dir: Path, spec: RunSpec = RunSpec()) -> Path:
    meta = {
        "target": "http://127.0.0.1:1",
        "mode": "open",
        "workers": 1,
        "lag_bound_ms": 10.0,
        "command": "loadplan run --url http://127.0.0.1:1 --rate 60",
        "plan": _plan(run_dir.parent),
    }
    log = RunLogWriter(run_dir, meta)
    totals = RunTotals()
    index = 0
    for label, seconds, rate in spec.stages:
        for _ in range(seconds):
            snap = _second(index, label, rate, spec)
            log.append(snap)
            totals.add(snap)
            index += 1
    if spec.target_metrics:
        _write_target_metrics(run_dir, index)
    if spec.killed:
        log.close()
        return run_dir
    summary = totals.summary(meta, complete=True, stop_reason="completed")
    if spec.verdict is not None:
        summary["verdict"] = spec.verdict
    log.finish(summary)
    return run_dir


def _second(index: int, label: str, rate: int, spec: RunSpec) -> IntervalSnapshot:
    latency = new_histogram()
    tags = {}
    combos = [(lang, bucket) for lang in LANGS for bucket in BUCKETS]
    per_combo = rate // len(combos)
    for lang, bucket in combos:
        value = spec.base_us if bucket == "head" else spec.base_us * 10
        values = np.full(per_combo, value + index)
        record_many(latency, values)
        if spec.tags:
            cache = "HIT" if bucket == "head" else "MISS"
            hist = new_histogram()
            record_many(hist, values)
            tags[f"lang={lang};bucket={bucket};x-cache={cache}"] = hist
    lag = new_histogram()
    record_many(lag, np.full(rate, spec.lag_us))
    failed = spec.errors_at.get(index, 0)
    completed = per_combo * len(combos)
    return IntervalSnapshot(
        index=index,
        start_s=float(index),
        end_s=float(index + 1),
        stage=label,
        due=rate,
        sent=rate,
        completed=completed,
        errors={"ok": completed - failed, "http_5xx": failed} if failed else {"ok": completed},
        statuses={200: completed - failed},
        latency=latency,
        service=latency,
        lag=lag,
        tags=tags,
        inflight_max=3,
        cpu=spec.cpu,
    )


def _write_target_metrics(run_dir: Path, seconds: int) -> None:
    with (run_dir / "target_metrics.jsonl").open("w") as f:
        for t in range(seconds + 1):
            row = {
                "t_s": float(t),
                "process_cpu_seconds_total": 0.25 * t,
                "process_resident_memory_bytes": 50 * 2**20 + t * 2**20,
                "refservice_cache_hits_total": 30 * t,
                "refservice_cache_misses_total": 30 * t,
            }
            f.write(json.dumps(row) + "\n")


def load_summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / SUMMARY).read_text())


def _plan(where: Path) -> dict[str, Any]:
    path = where / "plan.toml"
    path.write_text(PLAN)
    plan, _ = load_plan(path, {})
    return plan.model_dump(mode="json")
