"""A generator worker killed with -9 mid-run: the other worker goes on to the end, every second
is kept (the lost worker's up to its last report), and the run is marked degraded, exit 3."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import StubServer

from .support import finish, loadplan, snapshot_rows, start_loadplan, summary_of, wait_for_second

pytestmark = pytest.mark.slow

RATE, SECONDS = 100, 6
PLAN = """\
[load]
rate = {rate}
duration = "{seconds}s"
workers = 2
[slo]
p95 = "2s"
error_rate = "1%"
"""


def workers_of(pid: int) -> dict[str, int]:
    """The worker processes of loadplan process ``pid``, by name (``loadplan-w0`` ...)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii")
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid and name.startswith("loadplan-w"):
            found[name] = int(entry)
    return found


def test_a_killed_worker_degrades_the_run_and_the_rest_goes_on(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(rate=RATE, seconds=SECONDS), encoding="utf-8")
    out = tmp_path / "run"
    run = start_loadplan("run", str(plan), "--url", server.url, "--out", str(out), "--no-report")
    wait_for_second(out, 1, run)
    workers = workers_of(run.pid)
    assert sorted(workers) == ["loadplan-w0", "loadplan-w1"], workers
    os.kill(workers["loadplan-w1"], signal.SIGKILL)
    code, stdout, stderr = finish(run)

    # Exit 3: the run played its whole plan, but with half its workers from the kill on, so
    # it offered less than the plan and its verdict cannot stand for it.
    assert code == 3, stderr + stdout
    summary = summary_of(out)
    assert summary["complete"] is True
    degraded = summary["degraded"]
    assert degraded["workers_lost"] == [1]
    (lost,) = degraded["lost"]
    assert lost["why"] == "killed by SIGKILL"
    assert 1.0 <= degraded["at_s"] < SECONDS
    assert lost["last_second"] >= 1  # it had reported seconds 0 and 1 at least
    assert summary["stop_reason"] == degraded["reason"]
    assert summary["stop_reason"].startswith("degraded: worker 1 lost at "), summary["stop_reason"]
    assert summary["verdict"]["pass"] is None
    assert degraded["reason"] in summary["verdict"]["inconclusive"]
    assert "DEGRADED RUN" in stdout

    # Every second is kept: the lost worker's with the other's up to its last report, and the
    # survivor's alone (half the rate) from then to the end.
    rows = {row["index"]: row for row in snapshot_rows(out)}
    assert set(range(SECONDS)) <= set(rows), sorted(rows)
    for index in range(SECONDS):
        row = rows[index]
        both = index <= lost["last_second"]
        assert row["workers"] == (2 if both else 1), row
        if both or index > lost["last_second"] + 1:  # the second of the kill is in between
            assert row["due"] == pytest.approx(RATE if both else RATE / 2, abs=1), row
    assert summary["errors"] == {"ok": summary["requests"]["completed"]}
    # The server saw what was counted, and at most the lost worker's unreported second more.
    assert 0 <= server.requests_seen() - summary["requests"]["sent"] <= RATE

    again = loadplan("summary", str(out))
    assert again.returncode == 3, again.stderr + again.stdout
    assert "DEGRADED RUN" in again.stdout
