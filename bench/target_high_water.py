"""Is the reference service's memory growth a leak or a high-water mark? Re-runnable, ~10 min.

In the 2-hour sign-off the target's RSS rose in two steps, each in the minute its in-flight
requests reached a new high (a stall from other work on the machine), and stayed flat between
them. A leak grows with requests served; a high-water mark grows with requests held at once
(CPython keeps the memory a burst needed for the next one). This tells them apart: at 1000 req/s
(the sign-off's rate and workload), three identical bursts past the service's capacity (``--burst``
req/s for ``--hold``, every connection busy), ``--gap`` apart. A high-water mark steps at the
first burst and not at the next two; a leak grows in every gap and at every burst.

The service runs on ``--target-core`` (1), the generator on ``--load-core`` (0). Every request
goes to 127.0.0.1; the run is bounded by its stages. Usage::

    flock /work/load.lock .venv/bin/python bench/target_high_water.py --out /tmp/high-water

Writes OUT/high_water.json (RSS before and after each burst, slopes in each gap) and keeps the
run directory in OUT/run.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LOADPLAN = [sys.executable, "-m", "loadplan"]
READY = re.compile(r"ready at (http://\S+)")

PLAN = """\
[target]
url = "{url}"
[load]
rate = {rate}
arrivals = "poisson"
seed = 1
[client]
connections = 512
timeout = "5s"
capture_header = "X-Cache"
[workload]
seed = 42
[workload.source]
kind = "builtin"
pool_size = 20000
[workload.popularity]
model = "zipf"
s = 1.0
[workload.template]
path = "/search"
params = {{ q = "{{query}}", lang = "{{lang}}" }}
[scrape]
urls = ["/metrics"]
interval = "5s"
[generator]
lag_bound = "10ms"
[[stages]]
type = "constant"
name = "warm"
rate = {rate}
duration = "{warm}s"
{bursts}
"""

BURST = """\
[[stages]]
type = "spike"
name = "burst-{i}"
rate = {rate}
factor = {factor}
hold = "{hold}s"
recovery = "{gap}s"
"""


def rss_series(run: Path) -> tuple[np.ndarray, np.ndarray]:
    t, mb = [], []
    for line in (run / "target_metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("up") and "process_resident_memory_bytes" in row:
            t.append(float(row["t_s"]))
            mb.append(float(row["process_resident_memory_bytes"]) / 1e6)
    return np.array(t), np.array(mb)


class RssSampler:
    """The service's RSS split into anonymous and file-backed pages, once a second.

    Prometheus' ``process_resident_memory_bytes`` is the sum; the split says what grew: the
    heap (requests, caches: anonymous) or pages of the mapped search index (file-backed, bounded
    by the index file's size).
    """

    def __init__(self, pid: int, path: Path) -> None:
        self.pid, self.path = pid, path
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.start = time.time()
        self.thread.start()

    def _run(self) -> None:
        with self.path.open("w", encoding="utf-8") as out:
            while not self.stop.wait(1.0):
                try:
                    status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
                except OSError:
                    return
                kb = {k: int(v.split()[0]) for k, v in
                      (line.split(":", 1) for line in status.splitlines())
                      if k in ("RssAnon", "RssFile", "VmRSS")}  # fmt: skip
                row = {"t": round(time.time(), 3), **{k: v / 1000 for k, v in kb.items()}}
                out.write(json.dumps(row) + "\n")
                out.flush()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def split_at(rows: list[dict[str, float]], epoch: float, when_s: float) -> dict[str, float]:
    """The last /proc sample at or before ``when_s`` seconds after ``epoch``."""
    before = [r for r in rows if r["t"] - epoch <= when_s]
    return before[-1] if before else rows[0]


def stage_bounds(run: Path) -> list[tuple[str, float, float, int]]:
    """(stage, first second, last second, max in flight) from the run log."""
    seen: dict[str, list[float]] = {}
    for line in (run / "snapshots.jsonl").read_text().splitlines():
        row = json.loads(line)
        if "stage" not in row:
            continue
        s = seen.setdefault(row["stage"], [row["start_s"], row["end_s"], 0])
        s[1] = row["end_s"]
        s[2] = max(s[2], row.get("inflight_max", 0))
    return [(k, v[0], v[1], int(v[2])) for k, v in seen.items()]


def at(t: np.ndarray, mb: np.ndarray, when: float) -> float:
    """RSS at the last scrape at or before ``when``."""
    before = mb[t <= when]
    return float(before[-1]) if len(before) else float(mb[0])


def slope_per_hour(t: np.ndarray, mb: np.ndarray, lo: float, hi: float) -> float:
    keep = (t >= lo) & (t <= hi)
    return float(np.polyfit(t[keep], mb[keep], 1)[0]) * 3600 if keep.sum() >= 3 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--burst", type=float, default=5000, help="req/s of each burst")
    parser.add_argument("--hold", type=int, default=8, help="seconds each burst lasts")
    parser.add_argument("--gap", type=int, default=120, help="seconds at --rate after each")
    parser.add_argument("--warm", type=int, default=180, help="seconds at --rate first")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--target-core", default="1")
    parser.add_argument("--load-core", default="0")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    serve = ["taskset", "-c", args.target_core, *LOADPLAN, "target", "serve", "--port", "0"]
    service = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None
        url = next(m.group(1) for line in service.stdout if (m := READY.search(line)))
        sampler = RssSampler(service.pid, args.out / "rss.jsonl")
        bursts = "".join(
            BURST.format(i=i + 1, rate=args.rate, factor=args.burst / args.rate,
                         hold=args.hold, gap=args.gap)
            for i in range(args.bursts)
        )  # fmt: skip
        plan = args.out / "plan.toml"
        plan.write_text(PLAN.format(url=url, rate=args.rate, warm=args.warm, bursts=bursts))
        run = args.out / "run"
        cmd = ["taskset", "-c", args.load_core, *LOADPLAN, "run", str(plan), "--out", str(run),
               "--no-report"]  # fmt: skip
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        sampler.close()
    finally:
        service.terminate()
        service.wait(timeout=10)
    t, mb = rss_series(run)
    stages = stage_bounds(run)
    meta = json.loads((run / "meta.json").read_text())
    epoch = float(meta["started_at"])  # the run's second 0 on the wall clock
    proc_rows = [json.loads(line) for line in (args.out / "rss.jsonl").read_text().splitlines()]
    rows = []
    spans = {name: (start, end, inflight) for name, start, end, inflight in stages}
    for i in range(1, args.bursts + 1):
        start, hold_end, inflight = spans[f"burst-{i}"]
        _, gap_end, _ = spans[f"burst-{i}-recovery"]
        # The backlog a burst leaves drains in its first seconds after; the gap's slope starts
        # after that.
        before, after = at(t, mb, start), at(t, mb, hold_end + 20)
        gap = slope_per_hour(t, mb, hold_end + 20, gap_end)
        p0, p1 = split_at(proc_rows, epoch, start), split_at(proc_rows, epoch, hold_end + 20)
        anon, file = p1["RssAnon"] - p0["RssAnon"], p1["RssFile"] - p0["RssFile"]
        rows.append({"burst": i, "inflight_max": inflight, "rss_before_mb": round(before, 2),
                     "rss_after_mb": round(after, 2), "step_mb": round(after - before, 2),
                     "anon_step_mb": round(anon, 2), "file_step_mb": round(file, 2),
                     "gap_slope_mb_per_hour": round(gap, 2)})  # fmt: skip
        print(f"burst {i}: {inflight} in flight, RSS {before:.1f} -> {after:.1f} MB "
              f"({after - before:+.2f}: anonymous {anon:+.2f}, file-backed {file:+.2f}); "
              f"the gap after it: {gap:+.2f} MB/h")  # fmt: skip
    warm_start, warm_end, _ = spans["warm"]
    warm_slope = slope_per_hour(t, mb, warm_start + 60, warm_end)
    print(f"warm-up after its first minute: {warm_slope:+.2f} MB/h; exit {done.returncode}")
    result = {"command": " ".join(sys.argv), "exit": done.returncode, "warm_slope_mb_per_hour":
              round(warm_slope, 2), "bursts": rows, "run_dir": str(run)}  # fmt: skip
    (args.out / "high_water.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
