"""``loadplan run`` end to end: the CLI as a subprocess against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.results.histogram import decode
from tests.conftest import StubServer
from tests.support.cli import loadplan
from tests.support.lenient import lenient_plan
from tests.support.runs import snapshot_rows

pytestmark = pytest.mark.slow


def summary_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_holds_the_rate_and_the_server_sees_every_request(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    result = loadplan(
        "run", "--url", server.url, "--rate", "500", "--duration", "5s", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr + result.stdout
    summary = summary_of(out)
    assert summary["complete"] is True
    assert summary["requests"]["due"] == 2500
    assert summary["requests"]["ok"] == 2500
    assert server.requests_seen() == 2500
    rows = snapshot_rows(out)
    full_seconds = [r for r in rows if r["end_s"] - r["start_s"] >= 0.999 and r["index"] < 5]
    assert len(full_seconds) == 5
    for row in full_seconds:
        assert row["sent"] == pytest.approx(500, rel=0.01), row
    assert "latency (from intended send)" in result.stdout


def test_coordinated_omission_open_loop_matches_the_analytic_truth(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    # 200 req/s for 5 s; the server holds every answer for 1 s once. Requests due during the
    # freeze wait (freeze end - due time): uniform on [0, 1 s], 200 of the 1000. So the top 5 %
    # (50) lie at 1 - 50/200 = 0.75 s and above, the top 1 % (10) at 0.95 s, the max at 1 s.
    server = stub_server("freeze", "--freeze-at", "2", "--freeze-for", "1")
    out = tmp_path / "open"
    result = loadplan(
        "run", str(lenient_plan(tmp_path)), "--url", server.url, "--rate", "200",
        "--duration", "5s", "--connections", "1000", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    hist = decode(summary_of(out)["histograms"]["latency"])
    n = hist.get_total_count()
    assert n == 1000

    def truth(q: float) -> float:
        return 1000.0 * (1 - (1 - q) * n / 200)

    assert hist.get_value_at_percentile(95) / 1000 == pytest.approx(truth(0.95), rel=0.05)
    assert hist.get_value_at_percentile(99) / 1000 == pytest.approx(truth(0.99), rel=0.05)
    assert hist.get_max_value() / 1000 == pytest.approx(1000, rel=0.05)

    # Closed loop on the same server: 10 users each wait out the freeze once, so at most ten
    # requests see it and the P95 is blind to a one-second stall.
    closed_server = stub_server("freeze", "--freeze-at", "2", "--freeze-for", "1")
    closed = tmp_path / "closed"
    result = loadplan(
        "run", str(lenient_plan(tmp_path)), "--url", closed_server.url, "--users", "10",
        "--duration", "5s", "--out", str(closed),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    closed_summary = summary_of(closed)
    assert closed_summary["latency_ms"]["p95"] < 50
    assert closed_summary["latency_ms"]["max"] == pytest.approx(1000, rel=0.1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_keeps_everything(
    stub_server: Callable[..., StubServer], tmp_path: Path, sig: signal.Signals
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", "--url", server.url, "--rate", "200",
         "--duration", "60s", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_seconds(out, 2)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "PARTIAL RUN" in stdout
    summary = summary_of(out)
    assert summary["complete"] is False
    assert summary["stop_reason"] == "interrupted"
    seen = server.requests_seen()
    assert summary["requests"]["completed"] == pytest.approx(seen, abs=5)
    assert summary["requests"]["completed"] >= 400


def test_an_interrupted_run_counts_the_answers_that_were_in_flight(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    # Every answer takes 0.3 s: at 200 req/s about 60 requests are in flight at any moment.
    # Stopped, the run sends nothing more but waits briefly for those, so each request the
    # server saw is counted with its outcome.
    server = stub_server("slow", "--delay", "0.3")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", "--url", server.url, "--rate", "200",
         "--duration", "60s", "--connections", "1000", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_seconds(out, 2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    requests = summary_of(out)["requests"]
    assert requests["completed"] >= 300
    assert requests["completed"] == requests["sent"] == requests["ok"]
    assert server.requests_seen() == requests["sent"]


def test_killed_run_can_still_be_summarized(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    # Lenient: a partial run's summary exits 3 when it was generator-bound, 0 when not.
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", str(lenient_plan(tmp_path)), "--url",
         server.url, "--rate", "200", "--duration", "60s", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_seconds(out, 3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(1.0)  # orphaned workers notice their parent is gone and stop
    seen_at_kill = server.requests_seen()
    time.sleep(1.0)
    assert server.requests_seen() == seen_at_kill, "workers kept sending after kill -9"
    assert not (out / "summary.json").exists()
    result = loadplan("summary", str(out))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "PARTIAL RUN" in result.stdout
    rows = snapshot_rows(out)
    recorded = sum(r["completed"] for r in rows)
    # Everything up to the last whole second is on disk: at most ~1.5 s of requests are missing.
    assert seen_at_kill - 300 <= recorded <= seen_at_kill
    assert f"completed {recorded}" in result.stdout


def test_two_workers_merge_exactly(stub_server: Callable[..., StubServer], tmp_path: Path) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    result = loadplan(
        "run", str(lenient_plan(tmp_path)), "--url", server.url, "--rate", "400",
        "--duration", "3s", "--workers", "2", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    summary = summary_of(out)
    rows = snapshot_rows(out)
    # Every second merges both workers; the last, partial one may hold one worker's tail only.
    assert {r["workers"] for r in rows[:-1]} == {2}
    assert summary["requests"]["due"] == 1200 == server.requests_seen()
    assert decode(summary["histograms"]["latency"]).get_total_count() == 1200
    assert sum(r["completed"] for r in rows) == 1200
    # The generator's memory, each second: two workers and the coordinator, each a Python
    # process with loadplan imported (tens of MB each), summed.
    assert min(r["rss_mb"] for r in rows) > 3 * 20


def test_unreachable_target_fails_fast(free_port: int, tmp_path: Path) -> None:
    started = time.monotonic()
    result = loadplan(
        "run",
        "--url",
        f"http://127.0.0.1:{free_port}",
        "--rate",
        "10",
        "--out",
        str(tmp_path / "r"),
    )
    assert time.monotonic() - started < 15
    assert result.returncode == 3
    assert "cannot reach" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_plan_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[target]\nurl = "ftp://x"\n[load]\nrate = 0\n', encoding="utf-8")
    result = loadplan("run", str(plan))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "plan.toml:2 target.url" in lines[0]
    assert "plan.toml:4 load.rate = 0" in lines[1]


def _wait_for_seconds(run_dir: Path, seconds: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    path = run_dir / "snapshots.jsonl"
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= seconds:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never reached {seconds} lines")
