"""Shared fixtures: stub servers with known behaviour, run as separate processes on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STUB = Path(__file__).parent / "support" / "stub_server.py"


@dataclass
class StubServer:
    url: str
    process: subprocess.Popen[str]

    def requests_seen(self) -> int:
        with urllib.request.urlopen(self.url + "/__stats", timeout=5) as resp:
            return int(json.load(resp)["requests"])


@pytest.fixture
def stub_server() -> Iterator[Callable[..., StubServer]]:
    """Start a stub server: ``stub_server("freeze", "--freeze-at", "2")``."""
    started: list[StubServer] = []

    def start(mode: str = "ok", *extra: str) -> StubServer:
        proc = subprocess.Popen(
            [sys.executable, str(STUB), "--mode", mode, *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            proc.kill()
            raise RuntimeError(f"stub server did not start: {line!r}")
        server = StubServer(f"http://127.0.0.1:{int(line.split()[1])}", proc)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=5)
        if server.process.stdout:
            server.process.stdout.close()


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
