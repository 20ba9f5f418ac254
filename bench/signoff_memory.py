"""Memory of both sides over a long run, and P95 drift: what a 2-hour sign-off must show flat.

Reads a run directory only: the generator's resident memory from each second's ``rss_mb``
(snapshots.jsonl: workers and coordinator), the target's from its scraped
``process_resident_memory_bytes`` (target_metrics.jsonl). For each it fits a least-squares line
after the first ``--skip`` minutes (warm-up: caches and pools fill) and states the slope in MB
per hour (goal: under 1). P95 drift: the P95 of each minute of the sustained stage, and the rise
a line through them predicts over the stage. Writes memory.png and memory.json to ``--out``.

Usage::

    .venv/bin/python bench/signoff_memory.py runs/signoff-2h --out docs/performance/sign-off-2h
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np


def slope_mb_per_hour(
    t_s: np.ndarray, mb: np.ndarray, skip_s: float, until_s: float = float("inf")
) -> tuple[float, float, float]:
    keep = (t_s >= skip_s) & (t_s <= until_s)
    if keep.sum() < 2:
        return float("nan"), float("nan"), float("nan")
    slope = float(np.polyfit(t_s[keep], mb[keep], 1)[0]) * 3600
    return slope, float(mb[keep][0]), float(mb[keep][-1])


RISE_MB = 0.5
"""An RSS rise of at least this much (MiB) within ``RISE_WINDOW_S`` is listed as a step."""
RISE_WINDOW_S = 60.0


def high_water_rises(
    t_s: np.ndarray, mb: np.ndarray, sec_t: np.ndarray, inflight: np.ndarray, skip_s: float
) -> dict[str, object]:
    """The target's RSS steps after ``skip_s``, each beside the generator's most requests in
    flight around it and the most before it, and the slope between steps.

    A leak grows with requests served, so it shows between the steps; a high-water mark (the
    memory a burst of requests held at once, kept by CPython's allocator for the next one)
    steps only when the requests in flight reach a new high.
    """
    keep = t_s >= skip_s
    t_s, mb = t_s[keep], mb[keep]
    steps: list[dict[str, float]] = []
    # The level a step is measured from: the last step's top (not the running maximum, so that a
    # slow creep in small rises is listed too once it adds up to RISE_MB).
    level = float(mb[0]) if len(mb) else 0.0
    i = 0
    while i < len(t_s):
        if mb[i] < level + RISE_MB:
            i += 1
            continue
        window = (t_s >= t_s[i]) & (t_s <= t_s[i] + RISE_WINDOW_S)
        top = float(mb[window].max())
        near = (sec_t >= t_s[i] - RISE_WINDOW_S) & (sec_t <= t_s[i] + 10)
        before = (sec_t >= skip_s) & (sec_t < t_s[i] - RISE_WINDOW_S)
        steps.append({
            "t_min": round(float(t_s[i]) / 60, 1),
            "from_mb": round(level, 2),
            "to_mb": round(top, 2),
            "inflight_max_around": int(inflight[near].max()) if near.any() else 0,
            "inflight_max_before": int(inflight[before].max()) if before.any() else 0,
        })  # fmt: skip
        level = top
        i = int(np.searchsorted(t_s, t_s[i] + RISE_WINDOW_S, side="right"))
    edges = [skip_s, *(st["t_min"] * 60 for st in steps), float(t_s[-1]) if len(t_s) else skip_s]
    between = []
    for lo, hi in itertools.pairwise(edges):
        # Leave the step itself (its window) out of the flat part after it.
        start = lo + (RISE_WINDOW_S if lo > skip_s else 0.0)
        slope = slope_mb_per_hour(t_s, mb, start, hi)[0]
        between.append({"from_min": round(start / 60, 1), "to_min": round(hi / 60, 1),
                        "mb_per_hour": None if np.isnan(slope) else round(slope, 2)})  # fmt: skip
    return {"steps": steps, "between": between}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip", type=float, default=10.0, help="minutes left out at the start")
    parser.add_argument("--stage", default="sustained", help="stage whose P95 drift is reported")
    args = parser.parse_args()
    out = args.out or args.run_dir
    out.mkdir(parents=True, exist_ok=True)
    t, rss, inflight, minute_p95 = [], [], [], {}
    from loadplan.results import runlog

    for row in runlog.read_snapshot_lines(args.run_dir):
        t.append(float(row["start_s"]))
        rss.append(float(row.get("rss_mb", 0.0)))
        inflight.append(int(row.get("inflight_max", 0)))
    gen_t, gen_mb = np.array(t), np.array(rss)
    target_t, target_mb = [], []
    path = args.run_dir / "target_metrics.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row.get("up") and "process_resident_memory_bytes" in row:
                target_t.append(float(row["t_s"]))
                target_mb.append(float(row["process_resident_memory_bytes"]) / 2**20)
    skip_s = args.skip * 60
    gen = slope_mb_per_hour(gen_t, gen_mb, skip_s)
    tgt = slope_mb_per_hour(np.array(target_t), np.array(target_mb), skip_s)
    # P95 per minute of the stage, from the per-second histograms (merged exactly).
    from loadplan.results.histogram import merged
    from loadplan.results.result import RunResult

    hists: dict[int, list] = {}
    first = None
    last = 0.0
    for snap in RunResult.load(args.run_dir).seconds():
        if snap.stage != args.stage:
            continue
        first = snap.start_s if first is None else first
        last = snap.end_s
        hists.setdefault(int((snap.start_s - first) // 60), []).append(snap.latency)
    minutes = sorted(hists)
    for m in minutes:
        h = merged(hists[m])
        minute_p95[m] = h.get_value_at_percentile(95) / 1000
    drift = float("nan")
    if len(minutes) >= 3:
        slope = np.polyfit(np.array(minutes, float), np.array([minute_p95[m] for m in minutes]), 1)[
            0
        ]
        drift = float(slope) * len(minutes)
    # The same slopes over the stage alone (the soak): later stages (a spike, a breakpoint)
    # load the target past its capacity on purpose, and the memory that many requests in
    # flight take raises both sides' high-water marks without being a leak.
    lo = max(skip_s, first or 0.0)
    gen_stage = slope_mb_per_hour(gen_t, gen_mb, lo, last)
    tgt_stage = slope_mb_per_hour(np.array(target_t), np.array(target_mb), lo, last)
    rises = high_water_rises(np.array(target_t), np.array(target_mb), gen_t, np.array(inflight),
                             skip_s)  # fmt: skip
    result = {
        "run_dir": str(args.run_dir),
        "skip_minutes": args.skip,
        "generator_rss": {"mb_per_hour": gen[0], "first_mb": gen[1], "last_mb": gen[2]},
        "target_rss": {"mb_per_hour": tgt[0], "first_mb": tgt[1], "last_mb": tgt[2]},
        "during_stage": {
            "stage": args.stage,
            "from_s": lo,
            "to_s": last,
            "generator_mb_per_hour": gen_stage[0],
            "target_mb_per_hour": tgt_stage[0],
        },
        "target_rises": rises,
        "p95_drift": {
            "stage": args.stage,
            "minutes": len(minutes),
            "rise_ms_over_stage": drift,
            "first_minute_p95_ms": minute_p95.get(minutes[0]) if minutes else None,
            "last_minute_p95_ms": minute_p95.get(minutes[-1]) if minutes else None,
            "max_minute_p95_ms": max(minute_p95.values()) if minute_p95 else None,
        },
    }
    (out / "memory.json").write_text(json.dumps(result, indent=2) + "\n")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(
        gen_t / 60,
        gen_mb,
        lw=0.8,
        label=f"generator RSS ({gen[0]:+.2f} MB/h after {args.skip:g} min)",
    )
    if target_t:
        top.plot(
            np.array(target_t) / 60,
            target_mb,
            lw=0.8,
            label=f"target RSS ({tgt[0]:+.2f} MB/h after {args.skip:g} min)",
        )
    top.axvline(args.skip, color="#8c8c8c", ls="--", lw=1)
    top.set_ylabel("resident memory, MiB")
    top.legend(fontsize=8)
    if minutes and first is not None:
        bottom.plot(
            [first / 60 + m + 0.5 for m in minutes],
            [minute_p95[m] for m in minutes],
            lw=0.8,
            label=f"{args.stage}: P95 per minute (drift {drift:+.2f} ms over the stage)",
        )
        bottom.legend(fontsize=8)
    bottom.set_ylabel("P95, ms")
    bottom.set_xlabel("minutes from the run's start")
    fig.savefig(out / "memory.png")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
