"""Memory over a long run: RSS of the coordinator and its workers, sampled every 10 s.

Per-second snapshots, not per-request lists, should keep RSS flat however long the run. Against
a local nginx (start one yourself, e.g. the config in bench/generator_benchmark.py):

    python bench/memory_soak.py --url http://127.0.0.1:18090 --rate 20000 --minutes 10

With ``--plan`` the run sends that plan's workload (e.g. the realistic one the generator benchmark
writes: distinct URLs in 10 languages, per-tag results), which also exercises the caches of
rendered requests. Prints one line per sample and, at the end, RSS growth from the first full
minute to the end.
Load goes to the URL given, which must be on 127.0.0.1, and stops after --minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil


def tree_rss_mb(proc: psutil.Process) -> float:
    procs = [proc, *proc.children(recursive=True)]
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=20000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=512)
    parser.add_argument("--plan", type=Path, help="a plan whose [workload] to send")
    parser.add_argument("--cpu", help="pin the generator to these cores (taskset -c)")
    args = parser.parse_args()
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        sys.exit("memory_soak: load goes to 127.0.0.1 or localhost only")
    out = Path(tempfile.mkdtemp(prefix="loadplan-soak-")) / "run"
    cmd = [
        str(Path(sys.executable).parent / "loadplan"), "run",
        *([str(args.plan)] if args.plan else []), "--url", args.url, "--no-report",
        "--rate", str(args.rate), "--duration", f"{args.minutes * 60:g}s",
        "--connections", str(args.connections), "--out", str(out),
    ]  # fmt: skip
    if args.cpu:
        cmd = ["taskset", "-c", args.cpu, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    while proc.poll() is None:
        time.sleep(10)
        if proc.poll() is not None:
            break
        t = time.monotonic() - started
        samples.append((t, tree_rss_mb(ps)))
        parts = " ".join(f"{p.pid}:{p.memory_info().rss / 2**20:.1f}" for p in [ps, *ps.children()])
        print(f"t={t:6.0f}s rss={samples[-1][1]:8.1f} MB ({parts})", flush=True)
    after_warmup = [rss for t, rss in samples if t >= 60] or [rss for _, rss in samples]
    print(f"run dir: {out}")
    summary = json.loads((out / "summary.json").read_text())
    print(
        f"requests {summary['requests']['completed']:,} · achieved "
        f"{summary['rate']['achieved']:,.0f}/s · errors {summary['error_rate']} · lag P99 "
        f"{summary['lag_ms'].get('p99')} ms · tags {len(summary['tags'])}"
    )
    print(
        f"rss after the first minute: {after_warmup[0]:.1f} MB; at the end: "
        f"{after_warmup[-1]:.1f} MB; growth {after_warmup[-1] - after_warmup[0]:+.1f} MB; "
        f"max {max(after_warmup):.1f} MB"
    )


if __name__ == "__main__":
    main()
