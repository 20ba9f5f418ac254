"""``loadplan judge RUN_DIR``: the verdict made again from the run directory alone.

It must print the verdict rows the run printed and exit with the same code; judge a killed run
on what it kept (never a pass: exit 3); take another plan's [slo] with --plan; and refuse a
directory that is not a run, or a plan without [slo], in one line with exit 2.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.test_suite import TINY_SUITE, plan_file
from tests.conftest import StubServer
from tests.support.cli import loadplan

pytestmark = pytest.mark.slow


def verdict_lines(stdout: str) -> list[str]:
    """The verdict table as printed: from its "verdict" title to the VERDICT line."""
    lines = stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("VERDICT:"))
    start = next(i for i in range(end, -1, -1) if lines[i].strip() == "verdict")
    return [line.rstrip() for line in lines[start : end + 1]]


def test_judge_prints_the_run_s_own_verdict_and_exit_code(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    run = loadplan("suite", str(plan_file(tmp_path)), "--url", server.url, "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    again = loadplan("judge", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert verdict_lines(again.stdout) == verdict_lines(run.stdout)
    assert "VERDICT: PASS (exit 0)" in again.stdout
    # The breakpoint is found again on the seconds read back, with the rule that stopped it.
    rows = json.loads((out / "summary.json").read_text())["verdict"]["rows"]
    capacity = next(r for r in rows if r["objective"] == "capacity under SLA")
    assert capacity["measured"] in again.stdout
    # A stricter SLA over the same seconds: every answer of the stub takes well over 1 µs.
    strict = plan_file(tmp_path, TINY_SUITE.replace('p95 = "1s"', 'p95 = "1us"'))
    stricter = loadplan("judge", str(out), "--plan", str(strict))
    assert stricter.returncode == 1, stricter.stdout + stricter.stderr
    assert "VERDICT: FAIL (exit 1)" in stricter.stdout
    assert "sustained p95 latency" in stricter.stdout


def test_a_killed_run_is_judged_on_what_it_kept_and_cannot_pass(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    long_suite = plan_file(tmp_path, TINY_SUITE.replace('duration = "2s"', 'duration = "60s"'))
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "suite", str(long_suite), "--url", server.url,
         "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        # Killed inside the sustained stage: baseline and ramp-up are behind it.
        while time.monotonic() < deadline:
            rows = (
                (out / "snapshots.jsonl").read_text() if (out / "snapshots.jsonl").exists() else ""
            )
            if '"stage":"sustained"' in rows and rows.count("\n") >= 5:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert not (out / "summary.json").exists()
    judged = loadplan("judge", str(out))
    assert judged.returncode == 3, judged.stdout + judged.stderr
    assert "PARTIAL RUN" in judged.stdout
    assert "baseline" in judged.stdout
    assert "sustained" in judged.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = loadplan("judge", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        (
            f"loadplan: error: {tmp_path / 'nowhere'}: no such run directory; pass the --out "
            "directory of a run"
        )
    ]
