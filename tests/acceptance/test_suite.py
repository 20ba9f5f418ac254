"""``loadplan suite`` (and staged ``loadplan run``) end to end: exit codes 0, 1, 2, 3, the
verdict lines, the run directory, and the CI shell entry point passing the code through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.plan.load import load_plan
from loadplan.scenarios.suite import with_suite_stages
from tests.conftest import StubServer
from tests.support.cli import loadplan

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "load" / "run_load_tests.sh"

TINY_SUITE = """\
[target]
url = "http://127.0.0.1:1"
[load]
rate = 40
duration = "2s"
[client]
capture_header = "X-Cache"
[suite]
baseline = "1s"
baseline_factor = 0.5
ramp = "1s"
spike = "1s"
recovery = "1s"
cache = "1s"
breakpoint_step = 1.0
breakpoint_to = 2.0
step_duration = "1s"
[slo]
p95 = "1s"
p99 = "2s"
error_rate = "1%"
throughput = "90%"
cache_hit_rate = "50%"
[generator]
lag_bound = "1s"
"""


def plan_file(tmp_path: Path, text: str = TINY_SUITE) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOADPLAN": f"{sys.executable} -m loadplan"}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=90, env=env
    )


def test_suite_passes_through_the_ci_script_with_exit_0(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    result = script(server.url, str(plan_file(tmp_path)), "2s", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stages: baseline 1s @20/s · ramp-up 1s 20->40/s · sustained 2s")
    assert "VERDICT: PASS (exit 0)" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"]["pass"] is True
    assert set(summary["stages"]) == {
        "baseline", "ramp-up", "sustained", "spike", "spike-recovery", "cache-cold",
        "cache-warm", "breakpoint-0", "breakpoint-1",
    }  # fmt: skip
    stages = {r["stage"] for r in summary["verdict"]["rows"]}
    assert stages >= {"ramp-up", "sustained", "spike", "cache-cold", "cache-warm", "run"}
    flush = next(r for r in summary["verdict"]["rows"] if r["objective"] == "cache flush")
    assert "no [admin] cache_flush" in flush["measured"]
    # The suite ends with the capacity plan made from its breakpoint staircase.
    assert "2x growth: " in result.stdout
    assert "instances (N+1), each at " in result.stdout
    capacity = json.loads((out / "report" / "capacity.json").read_text())
    assert capacity["max_qps_under_slo"]["lower_bound"] is True  # 2 steps of 40 req/s held
    assert "Capacity plan" in (out / "report" / "report.html").read_text()
    # The run directory holds it all: `loadplan summary` prints the same verdict from disk.
    again = loadplan("summary", str(out))
    assert again.returncode == 0
    assert "VERDICT: PASS (exit 0)" in again.stdout


def test_a_failed_sla_exits_1_and_names_what_failed(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("status500")
    out = tmp_path / "run"
    skip = '[suite]\nskip = ["cache", "breakpoint"]\n'
    plan = plan_file(tmp_path, TINY_SUITE.replace("[suite]\n", skip))
    result = loadplan("suite", str(plan), "--url", server.url, "--out", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT: FAIL (exit 1)" in result.stdout
    assert "sustained error rate" in result.stdout
    rows = json.loads((out / "summary.json").read_text())["verdict"]["rows"]
    failed = {(r["stage"], r["objective"]) for r in rows if r["pass"] is False}
    assert ("run", "error rate") in failed
    assert ("spike", "errors during spike") in failed


def test_a_plan_error_exits_2_with_file_line_and_fix(tmp_path: Path) -> None:
    text = TINY_SUITE + '[[stages]]\ntype = "breakpoint"\nfrom = 1\nto = 2\nstep = 1\n'
    text += 'step_duration = "1s"\n[[stages]]\ntype = "constant"\nrate = 0\nduration = 1\n'
    result = loadplan("suite", str(plan_file(tmp_path, text)))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "plan.toml:34 stages[1].rate = 0: Input should be greater than 0" in lines[0]
    result = loadplan("suite", str(plan_file(tmp_path, text.replace("rate = 0", "rate = 1"))))
    assert result.returncode == 2
    assert "plan.toml:27 stages[0].type = 'breakpoint': the run stops where" in result.stderr
    assert script("http://x").returncode == 2  # the CI script's own usage error


def test_an_unreachable_target_exits_3(free_port: int, tmp_path: Path) -> None:
    result = loadplan("suite", str(plan_file(tmp_path)), "--url", f"http://127.0.0.1:{free_port}")
    assert result.returncode == 3
    assert "cannot reach" in result.stderr


def test_a_target_that_goes_away_mid_run_is_inconclusive(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    # `loadplan run` judges a plan's [slo] too: here one constant stage from [load].
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", str(plan_file(tmp_path)), "--url", server.url,
         "--duration", "6s", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = (out / "snapshots.jsonl").read_text().splitlines() if out.exists() else []
        if len(rows) >= 2:
            break
        time.sleep(0.1)
    server.process.kill()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stdout + stderr
    assert "VERDICT: INCONCLUSIVE (exit 3)" in stdout
    verdict = json.loads((out / "summary.json").read_text())["verdict"]
    assert verdict["pass"] is None
    assert any("target unreachable" in why for why in verdict["inconclusive"])


@pytest.mark.parametrize("name", ["reference-service.toml", "search-api.toml"])
def test_the_example_plans_are_valid_suites(name: str) -> None:
    plan, source = load_plan(REPO / "examples" / name, {})
    suite = with_suite_stages(plan, source)
    assert suite.slo is not None
    assert [s.type for s in suite.stages][-1] == "breakpoint"
