"""A node lost mid-run (its raylet and every process it started killed at once, as when the
machine dies) does not end the run: the actor on it is reported lost, the other goes on, the run
is degraded (exit 3) and every second up to the loss is kept. A cluster of its own: the loss
leaves it with one node."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import StubServer

from .conftest import RayCluster, two_node_cluster
from .loss import assert_degraded_keeping_every_second, read_json, start_two_actor_run

pytestmark = pytest.mark.slow


@pytest.fixture
def doomed_cluster() -> Iterator[RayCluster]:
    yield from two_node_cluster()


def second_node(actors: list[dict[str, Any]]) -> tuple[int, psutil.Process]:
    """The worker whose actor runs on the node that is not the head, and that node's raylet.
    (The coordinator's driver is attached to the head's raylet: Ray prefers the head among nodes
    of one host, so losing the other node is a node loss the coordinator survives.)"""
    for actor in actors:
        raylet = psutil.Process(actor["pid"]).parent()
        assert raylet is not None, actor
        assert raylet.name() == "raylet", raylet
        if "--head" not in raylet.cmdline():
            return actor["worker"], raylet
    raise AssertionError(f"no actor on the second node: {actors}")


def test_a_lost_node_degrades_the_run_and_keeps_every_second(
    doomed_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    seconds = 10
    server = stub_server("ok")
    run, out = start_two_actor_run(doomed_cluster, server, tmp_path, seconds)
    cluster = read_json(out / "meta.json")["cluster"]
    assert len(cluster["nodes"]) == 2
    victim, raylet = second_node(cluster["actors"])
    # The node dies whole: its raylet and what it started (the actor's worker among them).
    for process in [raylet, *raylet.children()]:
        process.kill()
    assert_degraded_keeping_every_second(run, out, server, seconds, victim)
