"""``loadplan run --metrics-port``: a port that cannot be had stops the run before any load."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import StubServer

pytestmark = pytest.mark.slow


def test_a_taken_metrics_port_fails_before_any_request(
    stub_server: Callable[..., StubServer], tmp_path: Path, free_port: int
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    with socket.create_server(("127.0.0.1", free_port)):
        result = subprocess.run(
            [sys.executable, "-m", "loadplan", "run", "--url", server.url, "--rate", "50",
             "--duration", "2s", "--metrics-port", str(free_port), "--out", str(out)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"loadplan: error: --metrics-port {free_port}: cannot listen on 127.0.0.1:{free_port} "
        "(address already in use); choose another port, or 0 for any free one"
    )
    assert server.requests_seen() == 0
    assert not out.exists()
