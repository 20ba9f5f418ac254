"""``loadplan report`` and the report at the end of ``loadplan run``, checked as a person would:
the HTML opened in headless Chromium, with no console errors and every plot drawn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import StubServer
from tests.support import cli
from tests.support.browser import open_page
from tests.support.lenient import lenient_plan

pytestmark = pytest.mark.slow

EXPECTED_PLOTS = [
    "plot-latency", "plot-rates", "plot-errors", "plot-spectrum", "plot-tag-x-cache",
    "plot-cache", "plot-generator",
]  # fmt: skip


loadplan = partial(cli.loadplan, timeout=120)


def test_run_ends_with_a_report_that_opens_in_chromium(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    plan = lenient_plan(tmp_path)
    result = loadplan(
        "run", str(plan), "--url", server.url, "--rate", "200", "--duration", "2s",
        "--capture-header", "X-Cache", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    html = out / "report" / "report.html"
    assert f"report: {html}" in result.stdout
    for name in ("load-test-results.md", "seconds.csv", "stages.csv", "tags.csv"):
        assert (out / "report" / name).is_file(), name
    md = (out / "report" / "load-test-results.md").read_text()
    assert f"Command: `loadplan run {plan} --url {server.url} --rate 200" in md

    page = open_page(html, screenshot=tmp_path / "report.png")
    assert page.errors == []
    assert page.figure_ids == EXPECTED_PLOTS
    assert len(page.image_widths) == len(EXPECTED_PLOTS)
    assert all(w == 1000 for w in page.image_widths), page.image_widths  # every PNG decoded
    assert page.headings[0] == "SLA verdict"
    assert all(u.startswith(("file:", "data:")) for u in page.requests), page.requests
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_report_on_a_killed_run_says_it_is_partial(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", "--url", server.url, "--rate", "100",
         "--duration", "60s", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    jsonl = out / "snapshots.jsonl"
    while time.monotonic() < deadline and (not jsonl.exists() or jsonl.read_text().count("\n") < 2):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert not (out / "summary.json").exists()

    result = loadplan("report", str(out), "--out", str(tmp_path / "partial"))
    assert result.returncode == 0, result.stderr
    assert "PARTIAL RUN" in result.stdout
    md = (tmp_path / "partial" / "load-test-results.md").read_text()
    assert "PARTIAL RUN (killed (no summary.json))" in md.split("## SLA verdict")[0]
    assert "![Latency per second" in md


def test_a_failing_report_warns_and_keeps_the_run(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    out.mkdir()
    (out / "report").write_text("a file where the report directory should go")
    result = loadplan("run", str(lenient_plan(tmp_path)), "--url", server.url, "--rate", "50",
                      "--duration", "1s", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    assert "loadplan: warning: no report written (RunDirError:" in result.stdout
    assert f"retry with: loadplan report {out}" in result.stdout
    assert (out / "summary.json").is_file()


def test_report_of_a_missing_directory_is_one_error_line(tmp_path: Path) -> None:
    result = loadplan("report", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"loadplan: error: {tmp_path / 'nope'}: no such run directory; "
        "pass the --out directory of a run"
    )
