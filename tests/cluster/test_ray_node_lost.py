"""A node lost mid-run (its raylet and every process it started killed at once, as when the
machine dies) does not end the run: the actor on it is reported lost, the other goes on, the run
is degraded (exit 3) and every second up to the loss is kept. A cluster of its own: the loss
leaves it with one node."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StubServer

from .conftest import RayCluster, two_node_cluster
from .test_ray_runs import read_json, rows, write_plan

pytestmark = pytest.mark.slow


@pytest.fixture
def doomed_cluster() -> Iterator[RayCluster]:
    yield from two_node_cluster()


def parent(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ...": comm may hold spaces, so split after it.
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return int(stat.rsplit(")", 1)[1].split()[1])


def argv(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if parent(int(entry.name)) == pid:
                    kids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # exited while we looked
    return kids


def second_node(actors: list[dict[str, Any]]) -> tuple[int, int]:
    """The worker whose actor runs on the node that is not the head, and that node's raylet.
    (The coordinator's driver is attached to the head's raylet: Ray prefers the head among nodes
    of one host, so losing the other node is a node loss the coordinator survives.)"""
    for actor in actors:
        raylet = parent(actor["pid"])
        assert Path(f"/proc/{raylet}/comm").read_text(encoding="ascii").strip() == "raylet"
        if "--head" not in argv(raylet):
            return actor["worker"], raylet
    raise AssertionError(f"no actor on the second node: {actors}")


def test_a_lost_node_degrades_the_run_and_keeps_every_second(
    doomed_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    seconds = 10
    plan = write_plan(tmp_path, rate=100, seconds=seconds)
    server = stub_server("ok")
    out = tmp_path / "run"
    run = doomed_cluster.start_loadplan(
        "run", str(plan), "--url", server.url, "--out", str(out), "--no-report",
        "--ray", doomed_cluster.address, "--ray-workers", "2",
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while not (out / "snapshots.jsonl").exists() or not any(r["index"] >= 2 for r in rows(out)):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never reached second 2"
        time.sleep(0.1)
    cluster = read_json(out / "meta.json")["cluster"]
    assert len(cluster["nodes"]) == 2
    victim, raylet = second_node(cluster["actors"])
    # The node dies whole: its raylet and what it started (the actor's worker among them).
    doomed = [raylet, *children(raylet)]
    for pid in doomed:
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=180)

    assert run.returncode == 3, stderr + stdout
    summary = read_json(out / "summary.json")
    degraded = summary["degraded"]
    assert degraded["workers_lost"] == [victim]
    (lost,) = degraded["lost"]
    assert lost["worker"] == victim
    assert lost["why"].startswith("actor lost: "), lost
    assert lost["last_second"] >= 2
    assert summary["verdict"]["pass"] is None
    assert degraded["reason"] in summary["verdict"]["inconclusive"]
    assert summary["cluster"]["lost"] == [victim]
    assert "DEGRADED RUN" in stdout
    # Every second is in the run directory: both actors' up to the loss, the survivor's after.
    by_index = {r["index"]: r for r in rows(out)}
    assert set(range(seconds)) <= set(by_index), sorted(by_index)
    for index in range(seconds):
        assert by_index[index]["workers"] == (2 if index <= lost["last_second"] else 1)
    # What the server counted: all the merged seconds say was sent, and at most the lost
    # actor's unreported last second more.
    assert 0 <= server.requests_seen() - summary["requests"]["sent"] <= 100
