"""``loadplan run`` of a sweep plan end to end: closed-loop users step by step against a server
that answers after a fixed delay, where a closed loop's Little's law says what to expect: with
no think time, N users complete N / delay requests a second."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StubServer
from tests.support.cli import loadplan
from tests.support.runs import snapshot_rows

pytestmark = pytest.mark.slow

DELAY_S = 0.1


def write_plan(tmp_path: Path, url: str, sweep: str, load: str = "", report: bool = False) -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f'[target]\nurl = "{url}"\n[load]\n{load}\n'
        f'[[stages]]\ntype = "sweep"\n{sweep}\nstep_duration = "2s"\n'
        f"[output]\nreport = {'true' if report else 'false'}\n",
        encoding="utf-8",
    )
    return plan


def run_sweep(
    stub_server: Callable[..., StubServer], tmp_path: Path, sweep: str, *options: str, **kw: Any
) -> tuple[subprocess.CompletedProcess[str], Path, StubServer]:
    server = stub_server("slow", "--delay", str(DELAY_S))
    out = tmp_path / "run"
    plan = write_plan(tmp_path, server.url, sweep, **kw)
    result = loadplan("run", str(plan), "--out", str(out), *options)
    return result, out, server


def check_steps(out: Path, users: list[int]) -> dict[str, Any]:
    """Each step's seconds carry its label, peak at its users in flight, and complete about
    users / delay requests a second; returns summary.json."""
    summary = json.loads((out / "summary.json").read_text())
    labels = [f"sweep-{i}" for i in range(len(users))]
    rows = snapshot_rows(out)
    full = [r for r in rows if r["end_s"] - r["start_s"] >= 0.999]
    assert [r["stage"] for r in full] == [label for label in labels for _ in range(2)]
    # A last, partial second holds the answers drained after the end: the last step's.
    assert {r["stage"] for r in rows[len(full) :]} <= {labels[-1]}
    for label, n in zip(labels, users, strict=True):
        step_rows = [r for r in full if r["stage"] == label]
        assert {r["inflight_max"] for r in step_rows} == {n}, (label, step_rows)
        stage = summary["stages"][label]
        assert stage["planned"] == {
            "start_s": 2.0 * labels.index(label),
            "end_s": 2.0 * labels.index(label) + 2,
            "rate_from": None,
            "rate_to": None,
            "users": n,
        }
        assert (stage["kind"], stage["judged"]) == ("sweep", False)
        assert stage["rate"]["achieved"] == pytest.approx(n / DELAY_S, rel=0.2), label
    assert summary["mode"] == "closed"
    assert summary["complete"] is True
    assert summary["requests"]["failed"] == 0
    return summary


def test_a_sweep_steps_its_users_and_records_each_step(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    result, out, server = run_sweep(
        stub_server, tmp_path, "users_from = 2\nusers_to = 8\nusers_step = 2", report=True
    )
    # No [slo]: nothing to judge, so the run's own health decides: 0.
    assert result.returncode == 0, result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "stages: sweep 2->8 users in 4 steps of 2s"
    assert lines[1].startswith("loadplan: closed loop against ")
    summary = check_steps(out, [2, 4, 6, 8])
    assert summary["requests"]["completed"] == server.requests_seen()
    assert any(line.split()[:3] == ["sweep-3", "8", "users"] for line in lines), result.stdout
    assert (out / "report" / "report.html").exists()


def test_two_workers_share_an_odd_number_of_users_exactly(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    result, out, server = run_sweep(
        stub_server, tmp_path, "users_from = 1\nusers_to = 7\nusers_step = 3", "--workers", "2"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    # 1, 4 and 7 users over two workers (1 + 0, 2 + 2, 4 + 3): the merged seconds peak at the
    # step's users exactly, so none was lost or doubled in the split.
    summary = check_steps(out, [1, 4, 7])
    assert {r["workers"] for r in snapshot_rows(out)[:-1]} == {2}
    assert summary["requests"]["completed"] == server.requests_seen()


def test_a_sweep_beside_a_rate_stage_is_refused_in_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[target]\nurl = "http://127.0.0.1:9"\n[load]\n\n'
        '[[stages]]\ntype = "sweep"\nusers_from = 1\nusers_to = 4\nusers_step = 1\n'
        'step_duration = "2s"\n\n'
        '[[stages]]\ntype = "constant"\nrate = 10\nduration = "1s"\n',
        encoding="utf-8",
    )
    result = loadplan("run", str(plan))
    assert result.returncode == 2
    expected = (
        f"loadplan: error: {plan}:6 stages[0].type = 'sweep': stages[1] is a 'constant' stage, "
        "which sets a rate; a sweep runs closed-loop users, so put it in a plan of its own"
    )
    assert result.stderr.strip().splitlines() == [expected]
