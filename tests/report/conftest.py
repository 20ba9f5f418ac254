"""Run directories with known contents and their reports, built once per session (plots cost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.report.build import ReportFiles, write_report
from tests.report.support import RunSpec, write_run

VERDICT = {
    "pass": False,
    "rows": [
        {"objective": "latency p95", "stage": "run", "bound": 300, "measured": 20.0,
         "unit": "ms", "pass": True},
        {"objective": "latency p99", "stage": "spike", "bound": "15ms", "measured": "20ms",
         "pass": False},
        {"objective": "error rate", "stage": "run", "bound": "0.1 %", "measured": "1.4 %",
         "pass": False},
    ],
}  # fmt: skip


@pytest.fixture(scope="session")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two stages, three tag names, an error burst, an SLA verdict, target metrics."""
    return write_run(
        tmp_path_factory.mktemp("full") / "run", RunSpec(verdict=VERDICT, target_metrics=True)
    )


@pytest.fixture(scope="session")
def full_report(full_run: Path) -> ReportFiles:
    return write_report(full_run)


@pytest.fixture(scope="session")
def bare_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Killed (no summary.json), generator-bound, no tags, no verdict, no target metrics."""
    spec = RunSpec(stages=(("", 4, 50),), tags=False, killed=True, lag_us=40_000, cpu=0.97)
    return write_run(tmp_path_factory.mktemp("bare") / "run", spec)


@pytest.fixture(scope="session")
def bare_report(bare_run: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report(bare_run, tmp_path_factory.mktemp("bare-report"))
