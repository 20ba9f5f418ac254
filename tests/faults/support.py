"""Processes for the fault tests: loadplan runs started in the background, stubs on fixed ports.

Each fault test starts a real ``loadplan run`` as a subprocess, waits until its run directory
shows a given second, does something to a process (kill the target, its Redis, a worker), and
then reads what the run wrote. Everything listens on 127.0.0.1 only and is bounded in time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from tests.support import cli
from tests.support.runs import snapshot_rows

STUB = Path(__file__).parent.parent / "support" / "stub_server.py"
LIMIT_S = 60.0
"""Longest any wait here takes before the test fails (a run of a few seconds takes far less)."""


loadplan = partial(cli.loadplan, timeout=LIMIT_S)


def start_loadplan(*args: str) -> subprocess.Popen[str]:
    """``loadplan ARGS`` in the background (read its output with ``finish``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "loadplan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for a background run; its exit code, stdout and stderr."""
    try:
        out, err = proc.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"loadplan did not end within {LIMIT_S}s:\n{out}\n{err}") from None
    return proc.returncode, out, err


def wait_for_second(run_dir: Path, index: int, proc: subprocess.Popen[str]) -> None:
    """Return once the run has written second ``index``; fail if it ended first."""
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        if any(row["index"] >= index for row in snapshot_rows(run_dir)):
            return
        if proc.poll() is not None:
            code, out, err = finish(proc)
            raise AssertionError(f"the run ended (exit {code}) before second {index}:\n{out}{err}")
        time.sleep(0.05)
    raise AssertionError(f"{run_dir} never reached second {index}")


def summary_of(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return data


class Stub:
    """tests/support/stub_server.py as a process, restartable on its port."""

    def __init__(self, mode: str, *extra: str, port: int = 0) -> None:
        self.mode, self.extra = mode, extra
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *more: str) -> Stub:
        cmd = [sys.executable, str(STUB), "--mode", self.mode, "--port", str(self.port)]
        self.proc = subprocess.Popen([*cmd, *self.extra, *more], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"stub server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=10)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
