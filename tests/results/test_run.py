"""A run read back from its directory: a killed staged run still has its stages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from loadplan.results.histogram import decode
from loadplan.results.result import RunResult
from tests.report.support import RunSpec, write_run


def test_a_killed_staged_run_is_summarized_stage_by_stage(tmp_path: Path) -> None:
    # baseline: 3 s at 60 req/s; spike: 2 s at 120 req/s, 6 of them http_5xx; no summary.json.
    run_dir = write_run(tmp_path / "run", RunSpec(killed=True))
    summary = RunResult.load(run_dir).summary
    assert summary["complete"] is False
    assert summary["requests"]["completed"] == 420
    stages = summary["stages"]
    assert list(stages) == ["baseline", "spike"]
    assert [stages[s]["requests"]["completed"] for s in stages] == [180, 240]
    assert [stages[s]["errors"].get("http_5xx", 0) for s in stages] == [0, 6]
    # Histograms come from latency.hlog, second by second, into the stage each second was in.
    counts = [decode(stages[s]["histograms"]["latency"]).get_total_count() for s in stages]
    assert counts == [180, 240]
    assert (stages["spike"]["planned"]["start_s"], stages["spike"]["planned"]["end_s"]) == (3, 5)

    shown = subprocess.run(
        [sys.executable, "-m", "loadplan", "summary", str(run_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "PARTIAL RUN" in shown.stdout
    assert "stages" in shown.stdout
    assert "spike" in shown.stdout.split("stages", 1)[1]


def test_a_staged_run_killed_in_its_first_stage_lists_the_stages_it_never_reached(
    tmp_path: Path,
) -> None:
    run_dir = write_run(tmp_path / "run", RunSpec(stages=(("baseline", 2, 60),), killed=True))
    stages = RunResult.load(run_dir).summary["stages"]
    assert {label: (s["kind"], s["ran"]) for label, s in stages.items()} == {
        "baseline": ("constant", True),
        "spike": ("spike", False),
    }
    assert stages["baseline"]["requests"]["completed"] == 120
