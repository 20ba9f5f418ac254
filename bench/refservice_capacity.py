"""Capacity of the reference service on one core, measured with wrk. Re-runnable.

What it measures (all traffic to 127.0.0.1, every run bounded in time):

1. Startup with a 50,000-document corpus: index build (goal < 30 s) and reuse of the index
   from --data-dir on restart (goal < 3 s), as seconds from process start to the ready line.
2. Max throughput, cache on (lru, 10,000 entries) and cache off (none): wrk at a few
   concurrency levels, unthrottled; the best is the capacity. Cache on is measured twice: with
   the full mix (hit rate about 75 %: the tail does not fit in 10,000 entries) and with the hot
   set only (every request a hit).
3. Latency at fixed fractions of that capacity. wrk is closed-loop, so the rate is held by a
   per-request delay in the Lua script (connections x 1000 / delay_ms per second); wrk measures
   latency from each send, without coordinated-omission correction, so treat these as service
   times at that throughput, cross-checked by the achieved rate.
4. Index queries inline on the event loop vs on a thread pool (--query-threads).

The service runs pinned to core 1 (taskset -c 1), wrk to core 0. The query mix: per language,
single words of the 5,000 most frequent, popularity Zipf(s=1) by rank, languages uniform; the
sequence of 50,000 requests is drawn once (seeded) and written into the wrk Lua script.

Usage::

    .venv/bin/python bench/refservice_capacity.py            # everything, about 3 minutes
    .venv/bin/python bench/refservice_capacity.py --quick    # shorter runs, fewer points
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from loadplan.workload.vocab import SCRIPTS, vocabulary

READY = re.compile(r"ready at (http://\S+)")
SERVICE_CORE, LOAD_CORE = "1", "0"
LOADPLAN = [sys.executable, "-m", "loadplan"]

LUA = r"""
local paths = {%(paths)s}
local n = #paths
local delay_ms = %(delay_ms)s
local i = 0
local statuses = {}
function init(args)
  math.randomseed(os.time())
  i = math.random(n)
end
function request()
  i = i %% n + 1
  return wrk.format("GET", paths[i])
end
if delay_ms > 0 then
  function delay() return delay_ms end
end
function done(summary, latency, requests)
  local out = {
    requests = summary.requests, duration_us = summary.duration,
    non2xx = summary.errors.status, socket_errors = summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout,
    p50_us = latency:percentile(50), p90_us = latency:percentile(90),
    p99_us = latency:percentile(99), p999_us = latency:percentile(99.9),
    max_us = latency.max, mean_us = latency.mean,
  }
  local parts = {}
  for k, v in pairs(out) do parts[#parts + 1] = string.format('"%%s": %%d', k, v) end
  io.write("WRKJSON {" .. table.concat(parts, ", ") .. "}\n")
end
"""


def query_paths(requests: int, seed: int, pool_per_lang: int = 5000) -> list[str]:
    rng = np.random.default_rng(seed)
    langs = list(SCRIPTS)
    ranks = np.arange(1, pool_per_lang + 1, dtype=np.float64)
    zipf = (1 / ranks) / (1 / ranks).sum()
    words = {lang: vocabulary(lang, pool_per_lang).words for lang in langs}
    picks_lang = rng.integers(0, len(langs), size=requests)
    picks_rank = rng.choice(pool_per_lang, size=requests, p=zipf)
    out = []
    for li, rank in zip(picks_lang.tolist(), picks_rank.tolist(), strict=True):
        lang = langs[li]
        word = words[lang][min(rank, len(words[lang]) - 1)]
        out.append("/search?" + urllib.parse.urlencode({"q": word, "lang": lang}))
    return out


def write_lua(paths: list[str], delay_ms: float, directory: Path) -> Path:
    body = ",\n".join(json.dumps(p) for p in paths)  # JSON strings are valid Lua strings here
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / f"queries-{delay_ms:g}.lua"
    script.write_text(LUA % {"paths": body, "delay_ms": f"{delay_ms:.3f}"})
    return script


class Service:
    def __init__(self, args: list[str]) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVICE_CORE, *LOADPLAN, "target", "serve", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            match = READY.search(line)
            if match:
                self.url = match.group(1)
                self.ready_after = time.perf_counter() - self.started
                return
        msg = f"service exited before ready: {self.lines}"
        raise RuntimeError(msg)

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(self.url + "/metrics") as reply:
            text = reply.read().decode()
        out = {}
        for name in ("refservice_cache_hits_total", "refservice_cache_misses_total"):
            match = re.search(rf"^{name} (\S+)$", text, re.M)
            out[name] = float(match.group(1)) if match else 0.0
        cpu = re.search(r"^process_cpu_seconds_total (\S+)$", text, re.M)
        out["cpu"] = float(cpu.group(1)) if cpu else 0.0
        return out

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate(timeout=30)
        return self.proc.returncode


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    cmd += ["--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    result: dict[str, float] = json.loads(line[len("WRKJSON ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def measured(svc: Service, url: str, script: Path, connections: int, seconds: float) -> dict:
    before = svc.metrics()
    result = wrk(url, script, connections, seconds)
    after = svc.metrics()
    hits = after["refservice_cache_hits_total"] - before["refservice_cache_hits_total"]
    misses = after["refservice_cache_misses_total"] - before["refservice_cache_misses_total"]
    result["hit_rate"] = hits / max(1.0, hits + misses)
    cpu = after["cpu"] - before["cpu"]
    result["service_cpu"] = cpu / (result["duration_us"] / 1e6)
    # CPU per request is steadier than req/s on a shared machine: 1e6 / it is what one
    # uncontended core could serve of this mix.
    result["cpu_us"] = cpu / max(1, result["requests"]) * 1e6
    result["connections"] = connections
    return result


def row(label: str, r: dict) -> str:
    ms = {k: r[k] / 1000 for k in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")}
    return (
        f"| {label} | {r['connections']} | {r['rps']:,.0f} | {ms['p50_us']:.2f} | "
        f"{ms['p90_us']:.2f} | {ms['p99_us']:.2f} | {ms['p999_us']:.2f} | {ms['max_us']:.1f} | "
        f"{r['hit_rate']:.1%} | {r['service_cpu']:.0%} | {r['cpu_us']:.0f} | "
        f"{1e6 / max(r['cpu_us'], 1):,.0f} | {r['non2xx'] + r['socket_errors']:.0f} |"
    )


HEADER = (
    "| run | conns | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | hit rate | "
    "service CPU | CPU us/req | req/s per core | errors |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=None)
    opts = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install -y wrk util-linux")
    seconds = 4.0 if opts.quick else opts.seconds
    levels = [16, 64] if opts.quick else [4, 16, 64]
    tmp = Path(tempfile.mkdtemp(prefix="refservice-bench-"))
    data = opts.data_dir or tmp / "data"
    base = ["--port", "0", "--docs", str(opts.docs), "--data-dir", str(data)]
    try:
        print(f"## Startup, {opts.docs} documents (service on core {SERVICE_CORE})\n")
        shutil.rmtree(data, ignore_errors=True)
        for label in ("build", "reuse"):
            svc = Service(base)
            print(f"- {label}: ready after {svc.ready_after:.2f} s; {svc.lines[0]}")
            svc.stop()
        paths = query_paths(50_000, seed=42)
        unthrottled = write_lua(paths, 0, tmp)
        # The hot set: the 2,000 most requested queries, all cached after the warm-up.
        counts: dict[str, int] = {}
        for path in paths:
            counts[path] = counts.get(path, 0) + 1
        hot_paths = sorted(counts, key=counts.__getitem__, reverse=True)[:2000]
        hot = write_lua(hot_paths, 0, tmp / "hot")
        print(f"\n## Throughput and latency ({len(set(paths))} distinct of {len(paths)})\n")
        print(HEADER)
        best: dict[str, dict] = {}
        for mode, extra in [("cache on", []), ("cache off", ["--cache", "none"])]:
            svc = Service(base + extra)
            try:
                wrk(svc.url, unthrottled, 16, 3)  # warm-up: page cache, and the result cache
                for conns in levels:
                    r = measured(svc, svc.url, unthrottled, conns, seconds)
                    print(row(f"{mode}, max", r), flush=True)
                    if r["rps"] > best.get(mode, {"rps": 0})["rps"]:
                        best[mode] = r
                if mode == "cache on":
                    wrk(svc.url, hot, 16, 2)
                    for conns in levels[-2:]:
                        r = measured(svc, svc.url, hot, conns, seconds)
                        print(row("cache on, hot set (all hits)", r), flush=True)
                conns = 32
                for share in (0.25, 0.5, 0.75, 0.9):
                    rate = share * best[mode]["rps"]
                    script = write_lua(paths, conns * 1000 / rate, tmp)
                    r = measured(svc, svc.url, script, conns, seconds)
                    print(row(f"{mode}, {share:.0%} of max ({rate:,.0f}/s asked)", r), flush=True)
            finally:
                svc.stop()
        for cache in ("lru", "none"):
            for threads in (0, 2, 4):
                svc = Service([*base, "--cache", cache, "--query-threads", str(threads)])
                try:
                    wrk(svc.url, unthrottled, 16, 3)
                    r = measured(svc, svc.url, unthrottled, 16, seconds)
                    print(row(f"cache {cache}, --query-threads {threads}", r), flush=True)
                finally:
                    svc.stop()
        summary = {mode: round(r["rps"]) for mode, r in best.items()}
        print(f"\nmax throughput: {json.dumps(summary)}")
    finally:
        if opts.data_dir is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
