"""Short real runs: every stage type in one chained run, a breakpoint against a known capacity,
spike recovery against a stall. Each runs the CLI as a subprocess against a real server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadplan.plan.load import load_plan
from loadplan.plan.scenario import Scenario
from tests.conftest import StubServer
from tests.support.cli import loadplan
from tests.support.runs import snapshot_rows

pytestmark = pytest.mark.slow

LENIENT = """
[generator]
lag_bound = "1s"        # a shared CI machine: judge the target, not the machine's other load
"""


def write_plan(tmp_path: Path, url: str, body: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(f'[target]\nurl = "{url}"\n[load]\nduration = 1\n{body}{LENIENT}')
    return path


CHAIN = """
[[stages]]
name = "warm"
type = "constant"
rate = 60
duration = "1s"
[[stages]]
type = "ramp"
from = 60
to = 180
duration = "2s"
[[stages]]
name = "stairs"
type = "step"
from = 100
to = 200
step = 100
step_duration = "1s"
[[stages]]
type = "spike"
rate = 100
factor = 3
hold = "1s"
recovery = "1s"
[[stages]]
type = "soak"
rate = 150
duration = "1s"
[[stages]]
type = "breakpoint"
from = 100
to = 200
step = 100
step_duration = "1s"
[slo]
p95 = "1s"
error_rate = "1%"
"""


def test_every_stage_type_in_one_chained_run(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    plan_path = write_plan(tmp_path, server.url, CHAIN)
    out = tmp_path / "run"
    result = loadplan("run", str(plan_path), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    profile = Scenario.from_plan(load_plan(plan_path, {})[0]).profile
    assert profile is not None
    full = [r for r in snapshot_rows(out) if r["end_s"] - r["start_s"] > 0.99]
    assert len(full) == 10
    for row in full:
        i = row["index"]
        assert row["stage"] == profile.label_at(i + 0.5)
        # Uniform arrivals: each second offers the profile's integral over it. A request is
        # counted when dispatched, so a late tick moves a few across a second's edge.
        expected = profile.hits(i + 1) - profile.hits(i)
        assert row["due"] == pytest.approx(expected, abs=max(3, 0.15 * expected)), row
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["stages"]) == [
        "warm", "ramp", "stairs-0", "stairs-1", "spike", "spike-recovery", "soak",
        "breakpoint-0", "breakpoint-1",
    ]  # fmt: skip
    assert summary["stages"]["spike"]["requests"]["due"] == pytest.approx(300, abs=10)
    assert summary["stages"]["stairs-1"]["planned"]["rate_from"] == 200
    assert summary["requests"]["due"] == server.requests_seen() == profile.total_hits
    assert summary["breakpoint"]["reached"] is False
    assert summary["verdict"]["pass"] is True
    assert "VERDICT: PASS (exit 0)" in result.stdout


@pytest.fixture
def slow_service() -> Iterator[str]:
    """The reference service with 50 ms added to every search: with 5 connections, its capacity
    is 5 / 0.05 s = 100 requests per second, whatever the machine."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "target", "serve", "--port", "0", "--docs", "200",
         "--languages", "en", "--added-latency", "50ms"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        match = re.match(r"loadplan target: ready at (\S+)", line)
        if match:
            url = match.group(1)
            break
    try:
        assert url, "the reference service did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.stdout.close()


BREAKPOINT = """
[client]
connections = 5
[workload.template]
path = "/search?q=the&lang=en"
[[stages]]
type = "breakpoint"
from = 40
to = 200
step = 40
step_duration = "4s"
consecutive = 3
[slo]
p95 = "300ms"
[scrape]
urls = ["/metrics"]
interval = "1s"
"""


def test_breakpoint_stops_at_the_step_past_a_known_capacity(
    slow_service: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = loadplan("run", str(write_plan(tmp_path, slow_service, BREAKPOINT)), "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    # 40 and 80 req/s fit under 100; at 120 the queue grows 20 requests a second.
    assert summary["breakpoint"]["last_good_rate"] == 80, result.stdout
    assert summary["breakpoint"]["breaking_rate"] == 120
    assert (summary["stop_reason"], summary["complete"]) == ("breakpoint reached", True)
    assert max(r["end_s"] for r in snapshot_rows(out)) < 13  # stopped well before 20 s of stairs
    assert "capacity under SLA" in result.stdout
    assert "last good 80 req/s; broke at 120 req/s" in result.stdout
    # The target's own /metrics were read all along.
    scrapes = [json.loads(x) for x in (out / "target_metrics.jsonl").read_text().splitlines()]
    assert len(scrapes) >= 5
    assert all(s["up"] == 1 for s in scrapes)
    assert scrapes[-1]["refservice_cache_hits_total"] > 0
    assert summary["target_metrics"]["restarts"] == 0
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


SPIKE = """
[[stages]]
type = "spike"
rate = 100
factor = 2
hold = "2s"
recovery = "6s"
[slo]
p95 = "100ms"
error_rate = "1%"
recovery = "5s"
settle = 3
"""


def test_spike_recovery_is_timed_against_a_stall(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    # The server holds every answer from 2 s to 4 s: right as the spike ends. The stalled
    # answers all land in second 4, so P95 is back under 100 ms from second 5: 3 s after.
    server = stub_server("freeze", "--freeze-at", "2", "--freeze-for", "2")
    out = tmp_path / "run"
    result = loadplan("run", str(write_plan(tmp_path, server.url, SPIKE)), "--out", str(out))
    verdict = json.loads((out / "summary.json").read_text())["verdict"]
    row = next(r for r in verdict["rows"] if r["objective"] == "recovery time")
    assert row["value"] in (3.0, 4.0), row
    assert row["pass"] is True
    errors = next(r for r in verdict["rows"] if r["objective"] == "errors during spike")
    assert errors["pass"] is True
    assert result.returncode == 0, result.stdout
