"""The exported Lua script run by the real wrk against a server that counts what it receives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.export.sequence import build_export
from loadplan.export.wrk import render_wrk
from loadplan.plan.load import load_plan
from tests.conftest import StubServer
from tests.export.conftest import write_plan
from tests.export.shares import seen_shares

pytestmark = pytest.mark.slow

WRK_MISSING = "wrk is not installed: CI must run the exported Lua (.ci/run: apt-get install wrk)"


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(WRK_MISSING)
        pytest.skip(WRK_MISSING)
    return found


def test_wrk_sends_the_plans_language_and_bucket_mix(
    tmp_path: Path, stub_server: Callable[..., StubServer]
) -> None:
    wrk = wrk_binary()
    path = write_plan(tmp_path)
    plan, source = load_plan(path, {})
    # A short sequence: wrk's threads end mid-cycle, and a short cycle keeps that within a point.
    export = build_export(plan, path, source=source, requests=50)
    script = tmp_path / "plan.lua"
    script.write_text(render_wrk(export, script.name), encoding="utf-8")
    server = stub_server()
    done = subprocess.run(
        [wrk, "-t2", "-c4", "-d3s", "-s", str(script), server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    threads = report["threads"]
    assert [t["offset"] for t in threads] == [0, 30]  # floor(k * 0.618 * 50): apart
    assert report["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    assert set(report["latency_us"]) == {"p50", "p90", "p95", "p99", "p99.9"}
    assert report["slo"][0]["objective"] == "p95"
    counts = server.counts()
    assert sum(counts.values()) >= sum(t["sent"] for t in threads) - 8  # 8: at most in flight
    for tag in ("lang", "bucket"):
        planned, seen = export.shares(tag), seen_shares(export, counts, tag)
        for value, share in planned.items():
            assert seen[value] == pytest.approx(share, abs=0.01), (tag, value, seen, planned)
