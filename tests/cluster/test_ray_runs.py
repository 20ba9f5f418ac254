"""Distributed runs on a real two-node Ray cluster (see conftest.py): what the actors send is
what a local run sends, merged exactly; a lost actor degrades the run; a cluster that cannot be
used fails before anything is sent, in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import StubServer
from tests.support.runs import snapshot_rows

from .conftest import RayCluster
from .loss import (
    assert_degraded_keeping_every_second,
    read_json,
    start_two_actor_run,
    write_plan,
)

pytestmark = pytest.mark.slow


def test_two_actors_on_two_nodes_send_a_one_worker_local_runs_requests_merged_exactly(
    ray_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, rate=150, seconds=4)
    remote, local = stub_server("ok"), stub_server("ok")
    out = tmp_path / "ray-run"
    done = ray_cluster.loadplan(
        "run", str(plan), "--url", remote.url, "--out", str(out), "--no-report",
        "--ray", ray_cluster.address, "--ray-workers", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    summary = read_json(out / "summary.json")
    # Merged exactly: what the server counted is what the merged seconds say was sent.
    assert summary["requests"]["sent"] == remote.requests_seen() == summary["requests"]["completed"]
    assert summary["errors"] == {"ok": summary["requests"]["completed"]}

    # The two actors ran on the two nodes, one each (SPREAD), their clocks measured.
    cluster = read_json(out / "meta.json")["cluster"]
    assert len(cluster["nodes"]) == 2
    assert sorted(len(node["actors"]) for node in cluster["nodes"]) == [1, 1]
    assert [a["worker"] for a in cluster["actors"]] == [0, 1]
    for actor in cluster["actors"]:
        assert actor["bound_ms"] <= 5.0, actor  # one machine: well within the default bound
    # The nodes' addresses as Ray's node table has them: one machine, one address.
    assert len({actor["ip"] for actor in cluster["actors"]} - {""}) == 1
    after = summary["cluster"]
    assert len(after["nodes"]) == 2
    assert after["lost"] == []
    assert {a["worker"] for a in after["actors"]} == {0, 1}
    assert after["busiest"] in (0, 1)
    assert all(a["seconds"] >= 4 for a in after["actors"]), after["actors"]
    assert f"cluster: Ray {ray_cluster.address} · 2 nodes: " in done.stdout
    assert " · 2 actors · busiest actor " in done.stdout

    # The same plan run by ONE local worker process: the one global sequence, whatever the
    # number of workers it is split over, so the same requests (path and query, each as often)
    # and the same due count.
    local_out = tmp_path / "local-run"
    again = ray_cluster.loadplan(
        "run", str(plan), "--url", local.url, "--out", str(local_out), "--no-report",
        "--workers", "1",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr + again.stdout
    local_summary = read_json(local_out / "summary.json")
    assert summary["requests"]["due"] == local_summary["requests"]["due"]
    assert remote.counts() == local.counts()
    assert sum(remote.counts().values()) == summary["requests"]["sent"]
    # Second by second, the due counts agree but for requests due right at a boundary (a
    # request is counted in the second its pacer reached it).
    due_ray = [r["due"] for r in snapshot_rows(out)]
    due_local = [r["due"] for r in snapshot_rows(local_out)]
    assert len(due_ray) == len(due_local)
    assert all(abs(a - b) <= 3 for a, b in zip(due_ray, due_local, strict=True)), (
        due_ray,
        due_local,
    )


def test_a_killed_actor_degrades_the_run_and_keeps_every_second(
    ray_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    seconds = 8
    server = stub_server("ok")
    run, out = start_two_actor_run(ray_cluster, server, tmp_path, seconds)
    actors = read_json(out / "meta.json")["cluster"]["actors"]
    os.kill(actors[1]["pid"], signal.SIGKILL)
    assert_degraded_keeping_every_second(run, out, server, seconds, victim=1)


def test_a_clock_bound_no_exchange_can_show_is_refused_before_anything_is_sent(
    ray_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, rate=50, seconds=2)
    text = plan.read_text(encoding="utf-8") + '\n[cluster]\nmax_clock_skew = "0.001ms"\n'
    plan.write_text(text, encoding="utf-8")
    server = stub_server("ok")
    out = tmp_path / "run"
    done = ray_cluster.loadplan(
        "run", str(plan), "--url", server.url, "--out", str(out), "--ray", ray_cluster.address
    )
    assert done.returncode == 3, done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("loadplan: error: actor 0 on node ")
    assert "over the 0.001 ms bound" in line
    assert "sync the nodes' clocks" in line
    assert server.requests_seen() == 0
    assert not (out / "snapshots.jsonl").exists()


def test_an_address_where_no_ray_head_listens_is_one_line_and_exit_3(
    ray_cluster: RayCluster, tmp_path: Path, stub_server: Callable[..., StubServer]
) -> None:
    server = stub_server("ok")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening
        done = ray_cluster.loadplan(
            "run", "--url", server.url, "--rate", "10", "--duration", "1s",
            "--out", str(tmp_path / "run"), "--ray", f"127.0.0.1:{port}",
        )  # fmt: skip
    assert done.returncode == 3, done.stderr + done.stdout
    assert done.stderr.strip() == (
        f"loadplan: error: --ray 127.0.0.1:{port}: cannot reach the Ray head (connection "
        f"refused); start one with `ray start --head --port {port}` there, or give its address "
        "(host:port of its GCS, or ray://host:10001)"
    )
    assert server.requests_seen() == 0


def test_ray_missing_is_one_line_naming_the_extra_and_exit_2(tmp_path: Path) -> None:
    # Ray made unimportable in this process only, as where the extra is not installed.
    hide = (
        "import sys; sys.modules['ray'] = None; sys.argv[0] = 'loadplan'; "
        "from loadplan.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide, "run", "--url", "http://127.0.0.1:9/", "--rate", "1",
         "--duration", "1s", "--out", str(tmp_path / "run"), "--ray", "local"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr + done.stdout
    assert done.stderr.strip() == (
        "loadplan: error: --ray needs Ray, which is not installed: pip install 'loadplan[ray]'"
    )
