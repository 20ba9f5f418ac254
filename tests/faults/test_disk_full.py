"""The run directory's disk fills up mid-run (a small tmpfs): the run ends with one line naming
the directory and the full disk, exit 2, and what it wrote before is whole lines that
``loadplan summary`` and ``loadplan report`` read."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadplan.results import runlog
from loadplan.results.result import RunResult
from tests.conftest import StubServer

from .support import finish, loadplan, start_loadplan

pytestmark = pytest.mark.slow

DISK = "1m"
ROOM = 24 * 1024
"""Bytes left free for the run: meta.json and some seconds (~2 KB each at this rate), far less
than the planned run needs, so the disk fills within its first seconds."""
RATE, SECONDS = 200, 30
PLAN = """\
[load]
rate = {rate}
duration = "{seconds}s"
[client]
capture_header = "X-Cache"
[scrape]
urls = ["/__stats"]   # not Prometheus text: a failed scrape is a line too, on the same disk
interval = "500ms"
[slo]
p95 = "2s"
error_rate = "1%"
[generator]
lag_bound = "1s"      # a partial run on a noisy machine reads as partial, not generator-bound
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards whatever happened."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        why = f"cannot mount a tmpfs (needs root): {done.stderr.strip() or os.geteuid()}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}; CI runs the fault tests as root")
        pytest.skip(why)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def whole_lines(path: Path) -> list[str]:
    """The file's lines, failing if it ends mid-line."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), f"{path.name} ends mid-line: {text[-80:]!r}"
    return text.split("\n")[:-1]


def test_a_full_disk_ends_the_run_in_one_line_and_keeps_whole_seconds(
    stub_server: Callable[..., StubServer], tmp_path: Path, small_disk: Path
) -> None:
    server = stub_server("ok")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(rate=RATE, seconds=SECONDS), encoding="utf-8")
    pad = small_disk / "pad"
    pad.write_bytes(b"\0" * (free_bytes(small_disk) - ROOM))
    out = small_disk / "run"
    run = start_loadplan("run", str(plan), "--url", server.url, "--out", str(out), "--no-report")
    code, stdout, stderr = finish(run)

    assert code == 2, stderr + stdout
    assert "Traceback" not in stderr + stdout
    errors = [line for line in stderr.splitlines() if line.strip()]
    assert len(errors) == 1, stderr
    line = errors[0]
    prefix = f"loadplan: error: {out}: cannot write the run log at "
    assert line.startswith(prefix), line
    assert "(the disk is full: no space left on device)" in line, line
    assert line.endswith(f"before are readable: loadplan summary {out}"), line
    kept = int(line.split("; the ")[-1].split()[0])  # "... the N seconds before are readable"
    assert 0 < kept < SECONDS, line

    # Whole lines only, and the same seconds in both files of the run log.
    rows = [json.loads(text) for text in whole_lines(out / runlog.SNAPSHOTS)]
    assert [row["index"] for row in rows] == list(range(kept))
    whole_lines(out / runlog.HLOG)
    latency = [e for e in runlog.read_hlog(out) if e.tag == runlog.LATENCY_TAG]
    assert [round(e.start_s) for e in latency] == [row["start_s"] for row in rows]
    scrapes = [json.loads(text) for text in whole_lines(out / "target_metrics.jsonl")]
    assert scrapes, "the scraper wrote nothing before the disk filled"
    assert {s["up"] for s in scrapes} == {0}  # /__stats is JSON, not Prometheus text
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [runlog.META, runlog.SNAPSHOTS, runlog.HLOG, "target_metrics.jsonl"]
    )  # no summary.json, no leftover .tmp

    result = RunResult.load(out)
    assert result.complete is False
    assert len(result.intervals) == kept
    assert result.summary["requests"]["due"] == sum(row["due"] for row in rows)

    summary = loadplan("summary", str(out))
    assert summary.returncode == 0, summary.stderr + summary.stdout  # partial: no verdict code
    assert "PARTIAL RUN" in summary.stdout

    # The report cannot be written on the full disk: one line saying so and where else to go.
    on_full = loadplan("report", str(out))
    assert on_full.returncode == 2, on_full.stderr + on_full.stdout
    wanted = (
        f"loadplan: error: {out / 'report'}: cannot write the report (the disk is full: no "
        "space left on device); free space there or write it elsewhere with --out DIR"
    )
    assert on_full.stderr.strip().splitlines() == [wanted]
    elsewhere = loadplan("report", str(out), "--out", str(tmp_path / "report"))
    assert elsewhere.returncode == 0, elsewhere.stderr + elsewhere.stdout
    assert "PARTIAL RUN" in elsewhere.stdout
    assert (tmp_path / "report" / "report.html").stat().st_size > 0

    pad.unlink()  # space freed: the report goes where it belongs
    freed = loadplan("report", str(out))
    assert freed.returncode == 0, freed.stderr + freed.stdout
    assert (out / "report" / "load-test-results.md").stat().st_size > 0
