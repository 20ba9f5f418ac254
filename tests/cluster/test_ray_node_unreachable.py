"""A target that one node of the cluster cannot reach fails the start within seconds, in one
line naming that node, before anything is sent (a real second node in its own network
namespace: see conftest.py ``split_cluster``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import StubServer

from .conftest import RayCluster

pytestmark = pytest.mark.slow


def test_a_node_that_cannot_reach_the_target_fails_the_start_naming_it(
    split_cluster: RayCluster, stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")  # on the host's 127.0.0.1: the coordinator and node 1 reach it
    out = tmp_path / "run"
    began = time.monotonic()
    done = split_cluster.loadplan(
        "run", "--url", server.url, "--rate", "20", "--duration", "2s", "--out", str(out),
        "--ray", split_cluster.address, "--ray-workers", "2",
    )  # fmt: skip
    took = time.monotonic() - began
    assert done.returncode == 3, done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    # Which bundle SPREAD puts on which node is Ray's choice: the node is what must be named.
    assert re.match(r"loadplan: error: actor [01] on node 10\.231\.7\.2 \([0-9a-f]{8}\) ", line)
    assert line.endswith(
        f"cannot reach {server.url}: connection refused; every node must reach the target "
        "(check its address, port and firewalls from that node)"
    )
    assert server.requests_seen() == 0
    assert not out.exists()
    assert took < 60, took  # a bound on the test, not a speed claim: it must not hang
