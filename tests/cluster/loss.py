"""What the two loss tests share: a two-actor Ray run of a small plan, watched until it has
kept a few seconds, and what a degraded run must keep once one actor is gone."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.conftest import StubServer
from tests.support.runs import snapshot_rows

from .conftest import RayCluster

PLAN = """\
[load]
rate = {rate}
duration = "{seconds}s"
arrivals = "poisson"
seed = 11
workers = 2

[workload]
seed = 5

[workload.source]
kind = "builtin"
pool_size = 500

[workload.template]
path = "/search"
params = {{ q = "{{query}}", lang = "{{lang}}" }}

[slo]
p95 = "2s"
error_rate = "1%"
"""


def write_plan(tmp_path: Path, rate: int, seconds: int) -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(rate=rate, seconds=seconds), encoding="utf-8")
    return plan


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def start_two_actor_run(
    cluster: RayCluster, server: StubServer, tmp_path: Path, seconds: int
) -> tuple[subprocess.Popen[str], Path]:
    """A 100 req/s run on two actors, returned once it has kept second 2."""
    plan = write_plan(tmp_path, rate=100, seconds=seconds)
    out = tmp_path / "run"
    run = cluster.start_loadplan(
        "run", str(plan), "--url", server.url, "--out", str(out), "--no-report",
        "--ray", cluster.address, "--ray-workers", "2",
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while not any(r["index"] >= 2 for r in snapshot_rows(out)):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never reached second 2"
        time.sleep(0.1)
    return run, out


def assert_degraded_keeping_every_second(
    run: subprocess.Popen[str], out: Path, server: StubServer, seconds: int, victim: int
) -> None:
    """Exit 3, the victim named lost, every second kept (both actors' up to the loss, the
    survivor's after), and the server's count no more than a lost last second past the merged
    one."""
    stdout, stderr = run.communicate(timeout=180)
    assert run.returncode == 3, stderr + stdout
    summary = read_json(out / "summary.json")
    degraded = summary["degraded"]
    assert degraded["workers_lost"] == [victim]
    (lost,) = degraded["lost"]
    assert lost["worker"] == victim
    assert lost["why"].startswith("actor lost: "), lost
    assert lost["last_second"] >= 2
    assert summary["verdict"]["pass"] is None
    assert degraded["reason"] in summary["verdict"]["inconclusive"]
    assert summary["cluster"]["lost"] == [victim]
    assert "DEGRADED RUN" in stdout
    by_index = {r["index"]: r for r in snapshot_rows(out)}
    assert set(range(seconds)) <= set(by_index), sorted(by_index)
    for index in range(seconds):
        assert by_index[index]["workers"] == (2 if index <= lost["last_second"] else 1)
    assert 0 <= server.requests_seen() - summary["requests"]["sent"] <= 100
