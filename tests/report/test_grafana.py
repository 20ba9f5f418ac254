"""report/grafana.py and ``loadplan dashboard``: a Grafana dashboard with the SLA bounds drawn."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loadplan.cli import build_app
from loadplan.report.grafana import SlaLines, dashboard_json
from loadplan.sinks import prometheus as gen

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "monitoring" / "load_test_dashboard.json"
REFSERVICE_METRICS = {
    "refservice_requests_total", "refservice_request_duration_seconds_bucket",
    "refservice_cache_hits_total", "refservice_cache_misses_total",
    "process_cpu_seconds_total", "process_resident_memory_bytes",
}  # fmt: skip


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def test_panels_have_distinct_ids_and_a_query_each() -> None:
    board = json.loads(dashboard_json())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in panels(board))
    assert {v["name"] for v in board["templating"]["list"]} == {
        "datasource", "generator_job", "target_job", "cache_tag",
    }  # fmt: skip


def test_every_query_names_a_metric_that_exists() -> None:
    known = REFSERVICE_METRICS | {
        f"{gen.REQUESTS}_total", f"{gen.DUE}_total", f"{gen.TAGGED}_total",
        f"{gen.LATENCY}_bucket", f"{gen.STAGE}_info", gen.OFFERED, gen.ACHIEVED, gen.INFLIGHT,
        gen.BACKLOG, gen.LAG_P99, gen.CPU, gen.OFF_CPU, gen.ELAPSED,
    }  # fmt: skip
    for panel in panels(json.loads(dashboard_json())):
        for target in panel["targets"]:
            used = set(
                re.findall(r"\b((?:loadplan|refservice|process)_[a-z_0-9]+)", target["expr"])
            )
            assert used, target["expr"]
            assert used <= known, (panel["title"], used - known)


@pytest.mark.parametrize(("p95", "p99"), [(300.0, 500.0), (120.0, 250.0)])
def test_latency_panels_draw_the_sla_bounds(p95: float, p99: float) -> None:
    board = json.loads(dashboard_json(SlaLines(p95, p99)))
    latency = [p for p in panels(board) if p["title"].startswith(("Latency", "Target latency"))]
    assert len(latency) == 2
    for panel in latency:
        defaults = panel["fieldConfig"]["defaults"]
        steps = [s["value"] for s in defaults["thresholds"]["steps"]]
        assert steps == [None, p95 / 1000, p99 / 1000]
        assert defaults["unit"] == "s"
        assert defaults["custom"]["thresholdsStyle"]["mode"] == "dashed"


def test_the_committed_dashboard_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == dashboard_json(), "regenerate: loadplan dashboard"


def test_cli_writes_the_dashboard(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "board.json"
    result = CliRunner().invoke(build_app(), ["dashboard", "--out", str(out), "--p95-ms", "250"])
    assert result.exit_code == 0, result.output
    assert f"dashboard: {out}" in result.output
    assert json.loads(out.read_text()) == json.loads(dashboard_json(SlaLines(p95_ms=250)))


def test_cli_rejects_a_bound_that_is_not_positive(tmp_path: Path) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "loadplan", "dashboard", "--out", str(tmp_path / "b.json"),
         "--p99-ms", "0"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert (
        bad.stderr
        == "loadplan: error: --p99-ms 0: a latency bound must be > 0 ms, e.g. --p99-ms 300\n"
    )
    assert not (tmp_path / "b.json").exists()
