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


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    ray_bin = _require_ray()
    # Short: Ray's sockets live under it, and a Unix socket's path holds 107 bytes at most.
    root = Path(tempfile.mkdtemp(prefix="lpray-", dir="/tmp"))
    token = root / "token"
    token.write_text(secrets.token_hex(32), encoding="ascii")
    env = ray_env(token)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    head = [
        str(ray_bin),
        "start",
        "--head",
        f"--port={port}",
        "--include-dashboard=false",
        f"--temp-dir={root / 'ray'}",
        *common,
    ]
    second = [str(ray_bin), "start", f"--address={address}", *common]
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
