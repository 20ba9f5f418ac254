"""Shared fixtures: stub servers with known behaviour, run as separate processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests (tests/*/test_*_hostile.py). "ci", the default, is deterministic: the same
# examples on every run (derandomize, no example database), a fixed number of them, no deadline
# (the VM is noisy), sized so the hostile-input set stays under a minute.
# HYPOTHESIS_PROFILE=dev searches ten times further, with a new random seed each run.
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

STUB = Path(__file__).parent / "support" / "stub_server.py"


@dataclass
class StubServer:
    url: str
    process: subprocess.Popen[str]

    def requests_seen(self) -> int:
        with urllib.request.urlopen(self.url + "/__stats", timeout=5) as resp:
            return int(json.load(resp)["requests"])

    def counts(self) -> dict[str, int]:
        """How many requests it has seen per request target (path and query)."""
        with urllib.request.urlopen(self.url + "/__counts", timeout=5) as resp:
            return {str(k): int(v) for k, v in json.load(resp).items()}


@pytest.fixture
def stub_server() -> Iterator[Callable[..., StubServer]]:
    """Start a stub server: ``stub_server("freeze", "--freeze-at", "2")``, or
    ``stub_server("slow", "--delay", "0.2")`` for one slower than an SLA."""
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


Answer = Callable[[], tuple[int, bytes]]


@dataclass
class TinyHttp:
    """An in-process HTTP server: every request gets ``answer()``; requests are recorded."""

    url: str
    seen: list[tuple[str, str, dict[str, str]]]


@pytest.fixture
def tiny_http() -> Iterator[Callable[[Answer], TinyHttp]]:
    """Start ``tiny_http(lambda: (200, b"ok"))`` on 127.0.0.1; stopped after the test."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> TinyHttp:
        seen: list[tuple[str, str, dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                seen.append((self.command, self.path, dict(self.headers)))
                status, body = answer()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer  # noqa: N815  # http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return TinyHttp(f"http://127.0.0.1:{server.server_port}", seen)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


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
