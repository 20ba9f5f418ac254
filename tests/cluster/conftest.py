"""A real Ray cluster of two nodes on this machine, for the distributed-run tests.

Two raylets (``ray start --head`` and ``ray start --address``), each with one CPU, on 127.0.0.1,
with token authentication on (Ray's own default for local clusters since 2.59) and a token of
the test's own. Started once per module, stopped at its end. Without Ray installed the tests
skip, except under CI=true, where a missing Ray is a broken setup and fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_LIMIT_S = 120.0


@dataclass(frozen=True)
class RayCluster:
    """A running cluster: the head's address and the environment its clients need."""

    address: str
    env: dict[str, str]
    ray_bin: Path

    def loadplan(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "loadplan", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            check=False,
        )

    def start_loadplan(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "loadplan", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )


def ray_env(token: Path) -> dict[str, str]:
    return os.environ | {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_USAGE_STATS_ENABLED": "0",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_ray() -> Path:
    ray_bin = Path(sys.executable).parent / "ray"
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("Ray is not installed: .ci/run's make test installs loadplan[ray]")
        pytest.skip("Ray not installed (pip install 'loadplan[ray]')")
    assert ray_bin.exists(), ray_bin
    return ray_bin


def _alive_nodes(ray_bin: Path, address: str, env: dict[str, str]) -> int:
    probe = (
        "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, address],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else 0


def two_node_cluster(
    head_ip: str = "127.0.0.1", second_ip: str = "127.0.0.1", second_prefix: tuple[str, ...] = ()
) -> Iterator[RayCluster]:
    """A head on ``head_ip`` and a second raylet on ``second_ip``, started under
    ``second_prefix`` (e.g. ``ip netns exec NS``); stopped, with every Ray process, at the end."""
    ray_bin = _require_ray()
    # Short: Ray's sockets live under it, and a Unix socket's path holds 107 bytes at most.
    root = Path(tempfile.mkdtemp(prefix="lpray-", dir="/tmp"))
    token = root / "token"
    token.write_text(secrets.token_hex(32), encoding="ascii")
    env = ray_env(token)
    port = _free_port()
    address = f"{head_ip}:{port}"
    common = ["--num-cpus=1", "--disable-usage-stats"]
    head = [
        str(ray_bin),
        "start",
        "--head",
        f"--port={port}",
        f"--node-ip-address={head_ip}",
        "--include-dashboard=false",
        f"--temp-dir={root / 'ray'}",
        *common,
    ]
    second = [
        *second_prefix,
        str(ray_bin),
        "start",
        f"--address={address}",
        f"--node-ip-address={second_ip}",
        *common,
    ]
    try:
        for command in (head, second):
            subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=START_LIMIT_S, check=True
            )
        deadline = time.monotonic() + START_LIMIT_S
        while _alive_nodes(ray_bin, address, env) < 2:
            assert time.monotonic() < deadline, "the two-node Ray cluster did not come up"
            time.sleep(1)
        yield RayCluster(address, env, ray_bin)
    finally:
        subprocess.run(
            [str(ray_bin), "stop", "--force"], capture_output=True, env=env, timeout=60, check=False
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    yield from two_node_cluster()


NETNS = f"lpray{os.getpid() % 100000}"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=True)


@pytest.fixture(scope="module")
def split_cluster() -> Iterator[RayCluster]:
    """Two nodes, the second in a network namespace of its own: it reaches the head over a veth
    pair, but its 127.0.0.1 is its own loopback, where the tests' target does not listen."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("needs root and iproute2 (ip): .ci/run installs iproute2 and runs as root")
        pytest.skip("needs root and iproute2 (ip netns)")
    host_end, ns_end = f"{NETNS}a", f"{NETNS}b"
    head_ip, second_ip = "10.231.7.1", "10.231.7.2"
    try:
        _ip("netns", "add", NETNS)
        _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        _ip("link", "set", ns_end, "netns", NETNS)
        _ip("addr", "add", f"{head_ip}/24", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("netns", "exec", NETNS, "ip", "addr", "add", f"{second_ip}/24", "dev", ns_end)
        _ip("netns", "exec", NETNS, "ip", "link", "set", ns_end, "up")
        _ip("netns", "exec", NETNS, "ip", "link", "set", "lo", "up")
        yield from two_node_cluster(head_ip, second_ip, ("ip", "netns", "exec", NETNS))
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
