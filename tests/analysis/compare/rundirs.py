"""Run directories for the gate, written by the real run-log writer, with the target scraped.

Each run is one 40-second stage ("sustained") of 200 answers a second around 20 ms, and, unless
told otherwise, the target's ``/metrics`` scraped every 2 s into ``target_metrics.jsonl`` the way
``sinks/scrape.py`` writes it: a CPU counter that rises ``cpu_ms`` per answered request, and
cache hit and miss counters that split the requests at ``hit_rate``, each with seeded noise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loadplan.plan.load import load_plan
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.run import RunTotals
from loadplan.results.runlog import RunLogWriter
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.results.target_metrics import CPU, TARGET_METRICS

PLAN = """\
[target]
url = "http://127.0.0.1:1"

[load]
duration = "40s"
arrivals = "uniform"

[scrape]
urls = ["/metrics"]
interval = "2s"

[[stages]]
name = "sustained"
type = "constant"
rate = 200
duration = "40s"
"""
STAGE, SECONDS, RATE, SCRAPE_S = "sustained", 40, 200, 2.0
HITS, MISSES = "refservice_cache_hits_total", "refservice_cache_misses_total"
ENDPOINT = "http://127.0.0.1:1/metrics"


@dataclass(frozen=True)
class RunDir:
    """What to write.

    Attributes:
        seed: seeds the latencies and the counters' noise.
        cpu_ms: target CPU per request, ms; None: the run scraped nothing (no file at all).
        hit_rate: the share of requests the target's cache answered.
        cache_counters: False: the scrapes hold CPU only (a target without cache counters).
    """

    seed: int
    cpu_ms: float | None = 2.0
    hit_rate: float = 0.8
    cache_counters: bool = True


def write_run(run_dir: Path, spec: RunDir) -> Path:
    """Write ``spec`` as a finished run into ``run_dir`` (its plan.toml beside it)."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    plan_path = run_dir.parent / f"{run_dir.name}.plan.toml"
    plan_path.write_text(PLAN, encoding="utf-8")
    plan, _ = load_plan(plan_path, {})
    meta: dict[str, Any] = {
        "target": "http://127.0.0.1:1",
        "mode": "open",
        "workers": 1,
        "lag_bound_ms": 10.0,
        "plan": plan.model_dump(mode="json"),
    }
    rng = np.random.default_rng(spec.seed)
    log = RunLogWriter(run_dir, meta)
    totals = RunTotals()
    for i in range(SECONDS):
        snap = _second(i, rng)
        log.append(snap)
        totals.add(snap)
    log.finish(totals.summary(meta, complete=True, stop_reason="completed"))
    if spec.cpu_ms is not None:
        _write_scrapes(run_dir, spec, rng)
    return run_dir


def _second(index: int, rng: np.random.Generator) -> IntervalSnapshot:
    latency, lag = new_histogram(), new_histogram()
    record_many(latency, rng.lognormal(np.log(20_000), 0.4, size=RATE))
    record_many(lag, np.full(RATE, 200))
    return IntervalSnapshot(
        index=index, start_s=float(index), end_s=float(index + 1), stage=STAGE, due=RATE,
        sent=RATE, completed=RATE, errors={"ok": RATE}, statuses={200: RATE}, latency=latency,
        service=latency, lag=lag, cpu=0.3,
    )  # fmt: skip


def _write_scrapes(run_dir: Path, spec: RunDir, rng: np.random.Generator) -> None:
    """A scrape before the load, one every ``SCRAPE_S`` on the run's clock (landing a few ms
    late) and one at the end; counters start where a process that ran before left them."""
    cpu_ms = spec.cpu_ms or 0.0
    cpu, hits, misses = 12.5, 4000.0, 1000.0
    lines, t = [], 0.0
    while t <= SECONDS + 1e-9:
        row: dict[str, Any] = {"t_s": round(t + 0.003, 3), "endpoint": ENDPOINT, "up": 1}
        row |= {CPU: round(cpu, 6), "process_resident_memory_bytes": 80 * 2**20}
        if spec.cache_counters:
            row |= {HITS: hits, MISSES: misses}
        lines.append(json.dumps(row))
        requests = RATE * SCRAPE_S
        cpu += requests * cpu_ms / 1000 * float(rng.normal(1.0, 0.05))
        hit = float(rng.binomial(int(requests), spec.hit_rate))
        hits, misses = hits + hit, misses + requests - hit
        t += SCRAPE_S
    (run_dir / TARGET_METRICS).write_text("\n".join(lines) + "\n", encoding="utf-8")
