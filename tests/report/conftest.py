"""Run directories with known contents and their reports, built once per session (plots cost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.report.build import ReportFiles, write_report
from loadplan.verdict import VerdictRow, decide
from tests.report.support import RunSpec, write_run

VERDICT = decide(
    [
        VerdictRow("p95 latency", "run", "<= 300 ms", "20.0 ms", True, 20.0, 300.0),
        VerdictRow("p99 latency", "spike", "<= 15 ms", "20.0 ms", False, 20.0, 15.0),
        VerdictRow("error rate", "run", "<= 0.100%", "1.400%", False, 0.014, 0.001),
        VerdictRow("cache flush", "spike", "reported", "1,000 keys flushed", None),
    ]
).to_json()
"""As the suite writes it to summary.json: three objectives judged, one row only reported."""


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
