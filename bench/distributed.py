"""Distributed runs measured: the coordinator's cost per actor, and the rate 1 and 2 actors hold.

Re-runnable. Everything runs on 127.0.0.1, every run is bounded in time, and every process the
script starts is stopped on exit, also on Ctrl-C.

Setup. nginx answers every request with a fixed 200 (``return 200``) and writes one access-log
line per request, so the target's own count of what it received is the log's line count. A Ray
cluster of two raylets (``ray start --head`` and ``ray start --address``) runs on this machine
with token authentication, each raylet offering ``--cpus-per-node`` CPUs so that 8 actors fit
(they get fractional CPUs, and share the generator core). nginx is pinned to ``--target-core``
(1), the raylets, their actors and the coordinator to ``--load-core`` (0): on a 2-core machine
the target and the generator would otherwise take each other's time, which is said next to the
figures. The workload is bench/realistic_workload.toml (distinct search URLs in 10 languages,
30 tag combinations), the same the generator benchmark sends.

(a) Coordinator cost: at ``--coordinator-rate`` req/s in all, for 1, 2, 4 and 8 actors, the
    coordinator's CPU (utime + stime from /proc/PID/stat) over the steady part of the run (from
    second 5 to 3 s before the end: connecting to Ray, placing actors and the summary are left
    out). Reported as a share of one core, per actor and per 10,000 req/s merged.
(b) Rate held: 1 and 2 actors at each of ``--rates``: achieved vs offered, schedule lag P99,
    generator-bound or not, and the merged count of sent requests against nginx's access log.

Usage::

    .venv/bin/python bench/distributed.py --out /tmp/dist                 # 30 s runs
    .venv/bin/python bench/distributed.py --out /tmp/dist --duration 10 --rates 1000 --quick

Writes OUT/distributed.json and prints the tables; docs/performance/distributed.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "bench" / "realistic_workload.toml"
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format count "$msec $status";
    access_log {dir}/access.log count buffer=256k flush=1s;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", core, *cmd]


class Nginx:
    """nginx on one core, counting requests in its access log."""

    def __init__(self, nginx: str, directory: Path, core: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.port = free_port()
        conf = directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=directory, port=self.port), encoding="utf-8")
        cmd = [nginx, "-e", str(directory / "error.log"), "-p", str(directory), "-c", str(conf)]
        self.proc = subprocess.Popen(pinned(core, cmd), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    msg = f"nginx did not start; see {directory / 'error.log'}"
                    raise SystemExit(msg) from None
                time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"

    def count(self) -> int:
        """Requests nginx has logged (it flushes its log buffer every second)."""
        time.sleep(1.5)
        log = self.dir / "access.log"
        return sum(1 for _ in log.open("rb")) if log.exists() else 0

    def reset(self) -> None:
        (self.dir / "access.log").unlink(missing_ok=True)
        os.kill(self.proc.pid, signal.SIGUSR1)  # reopen the log
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class RayCluster:
    """Two raylets on this machine, pinned to the load core."""

    def __init__(self, core: str, cpus: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lpray-", dir="/tmp"))
        token = self.root / "token"
        token.write_text(secrets.token_hex(32), encoding="ascii")
        self.env = os.environ | {
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": str(token),
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", "--disable-usage-stats"]
        ray = str(BIN / "ray")
        head = [ray, "start", "--head", f"--port={port}", "--include-dashboard=false"]
        head += [f"--temp-dir={self.root / 'ray'}", *common]
        second = [ray, "start", f"--address={self.address}", *common]
        for cmd in (head, second):
            subprocess.run(pinned(core, cmd), env=self.env, check=True, capture_output=True)
        time.sleep(3)

    def stop(self) -> None:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], env=self.env, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def seconds_written(run_dir: Path) -> int:
    path = run_dir / "snapshots.jsonl"
    if not path.exists():
        return 0
    return sum(1 for _ in path.open("rb"))


def run(
    cluster: RayCluster,
    url: str,
    out: Path,
    rate: float,
    actors: int,
    duration: int,
    core: str,
    profile: bool = False,
) -> dict[str, Any]:
    """One distributed run; the coordinator's CPU over its steady seconds, and its summary.
    With ``profile``, py-spy samples the coordinator over those seconds into
    OUT/coordinator-stacks.txt (collapsed stacks, the input of flame-graph tools)."""
    cmd = [
        str(BIN / "loadplan"), "run", str(WORKLOAD), "--url", url, "--rate", f"{rate:g}",
        "--duration", f"{duration}s", "--out", str(out), "--no-report",
        "--ray", cluster.address, "--ray-workers", str(actors),
    ]  # fmt: skip
    proc = subprocess.Popen(
        pinned(core, cmd), env=cluster.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    first, last = 5, duration - 3
    marks: dict[int, tuple[float, int]] = {}
    spy: subprocess.Popen[bytes] | None = None
    deadline = time.monotonic() + duration + 180
    while proc.poll() is None and time.monotonic() < deadline:
        written = seconds_written(out)
        for mark in (first, last):
            if mark not in marks and written >= mark:
                marks[mark] = (time.monotonic(), cpu_ticks(proc.pid))
                if profile and mark == first:
                    spy = subprocess.Popen(
                        [str(BIN / "py-spy"), "record", "--pid", str(proc.pid), "--format", "raw",
                         "--duration", str(last - first), "--nonblocking", "--output",
                         str(out.parent / f"{out.name}-coordinator-stacks.txt")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
        time.sleep(0.05)
    if spy is not None:
        spy.wait(timeout=60)
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    coordinator = None
    if first in marks and last in marks:
        (t0, c0), (t1, c1) = marks[first], marks[last]
        coordinator = (c1 - c0) / TICKS / (t1 - t0)
    gen = summary.get("generator", {})
    return {
        "actors": actors,
        "rate": rate,
        "exit": proc.returncode,
        "stderr": err.strip().splitlines()[-1:] if err.strip() else [],
        "achieved": summary["rate"]["achieved"],
        "sent": summary["requests"]["sent"],
        "lag_p99_ms": gen.get("lag_p99_ms"),
        "generator_bound": bool(gen.get("bound")),
        "coordinator_cores": coordinator,
        "nodes": len(summary.get("cluster", {}).get("nodes", [])),
    }


def options(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--duration", type=int, default=30, help="seconds per run")
    p.add_argument("--coordinator-rate", type=float, default=4000)
    p.add_argument("--coordinator-actors", default="1,2,4,8")
    p.add_argument("--rates", default="2000,4000,6000,8000")
    p.add_argument("--cpus-per-node", type=int, default=4)
    p.add_argument("--load-core", default="0")
    p.add_argument("--target-core", default="1")
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    p.add_argument("--profile", action="store_true", help="py-spy the coordinator in (a)")
    p.add_argument("--rate-actors", default="1,2", help="actor counts for (b); empty: skip (b)")
    opts = p.parse_args(argv)
    if opts.duration < 10:
        p.error("--duration must be >= 10 s (the coordinator is measured from second 5)")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = options(argv)
    opts.out.mkdir(parents=True, exist_ok=True)
    nginx = Nginx(opts.nginx, opts.out / "nginx", opts.target_core)
    cluster = None
    results: dict[str, Any] = {"setup": {k: str(v) for k, v in vars(opts).items()}}
    try:
        cluster = RayCluster(opts.load_core, opts.cpus_per_node)
        print(f"nginx on core {opts.target_core}; Ray (2 raylets) + loadplan on core "
              f"{opts.load_core}; {opts.duration} s runs")  # fmt: skip
        cost = []
        for actors in (int(a) for a in opts.coordinator_actors.split(",")):
            row = run(cluster, nginx.url, opts.out / f"cost-{actors}", opts.coordinator_rate,
                      actors, opts.duration, opts.load_core, opts.profile)  # fmt: skip
            cores = row["coordinator_cores"]
            row["per_actor"] = cores / actors if cores is not None else None
            row["per_10k"] = cores / (row["achieved"] / 10_000) if cores else None
            cost.append(row)
            print(f"(a) {actors} actors at {opts.coordinator_rate:g} req/s: coordinator "
                  f"{(cores or 0):.1%} of a core, {(row['per_actor'] or 0):.2%} per actor, "
                  f"{(row['per_10k'] or 0):.1%} per 10k req/s (exit {row['exit']})")  # fmt: skip
        results["coordinator"] = cost
        held = []
        for actors in (int(a) for a in opts.rate_actors.split(",") if a):
            for rate in (float(r) for r in opts.rates.split(",")):
                nginx.reset()
                row = run(cluster, nginx.url, opts.out / f"rate-{actors}-{rate:g}", rate, actors,
                          opts.duration, opts.load_core)  # fmt: skip
                row["target_count"] = nginx.count()
                held.append(row)
                print(
                    f"(b) {actors} actor(s) at {rate:g} req/s: achieved {row['achieved']:.0f}, "
                    f"lag p99 {row['lag_p99_ms']} ms, bound {row['generator_bound']}, sent "
                    f"{row['sent']} vs nginx {row['target_count']} (exit {row['exit']})"
                )
        results["rate_held"] = held
    finally:
        if cluster is not None:
            cluster.stop()
        nginx.stop()
        (opts.out / "distributed.json").write_text(json.dumps(results, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
