"""``loadplan target serve`` as a user runs it: ready line, answers, clean exit on a signal."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

READY = re.compile(r"^loadplan target: ready at (http://127\.0\.0\.1:(\d+))$")


def loadplan(*args: str) -> list[str]:
    return [sys.executable, "-m", "loadplan", *args]


def start(args: list[str]) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        loadplan("target", "serve", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks until the service prints; the pytest timeout bounds it
        lines.append(line.rstrip("\n"))
        match = READY.match(lines[-1])
        if match:
            return proc, match.group(1), lines
    proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    pytest.fail(f"no ready line; exit {proc.returncode}; stdout {lines}; stderr {stderr}")


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("target-data")


@pytest.mark.parametrize(
    ("sig", "index"),
    [(signal.SIGTERM, "built"), (signal.SIGINT, "reused")],
    ids=["SIGTERM", "SIGINT"],
)
def test_serve_answers_then_exits_cleanly(data_dir: Path, sig: int, index: str) -> None:
    """The first run builds the index into the data dir; the second reuses it."""
    args = ["--port", "0", "--docs", "300", "--languages", "en,zh,ar", "--data-dir", str(data_dir)]
    proc, url, lines = start(args)
    try:
        assert lines[0].startswith(f"loadplan target: index {index} in ")
        assert not url.endswith(":0")
        with urllib.request.urlopen(f"{url}/search?q=the&lang=en&limit=3") as reply:
            body = json.load(reply)
            assert reply.headers["X-Cache"] == "MISS"
        assert body["total"] > 0
        assert len(body["results"]) == 3
        with urllib.request.urlopen(f"{url}/healthz") as reply:
            assert json.load(reply)["documents"] == 300
    finally:
        code, out, err = stop(proc, sig)
    assert code == 0, err
    assert out.splitlines()[-1] == f"loadplan target: stopped ({signal.Signals(sig).name})"
    assert "Traceback" not in err


def test_bad_option_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        loadplan("target", "serve", "--error-rate", "2", "--added-latency", "fast"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        (
            "loadplan: error: --added-latency = 'fast': not a duration; "
            "write e.g. 30s, 250ms, 5m or 2h"
        ),
        "loadplan: error: --error-rate = 2.0: use a fraction from 0 to 1, e.g. 0.01",
    ]


def test_unreachable_redis_is_one_line_and_nonzero_exit() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    started = time.monotonic()
    result = subprocess.run(
        loadplan("target", "serve", "--port", "0", "--cache", url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"loadplan: error: --cache {url}: Redis is not reachable")
    assert time.monotonic() - started < 30  # it checks Redis before building any index


def test_max_concurrency_reaches_the_service_and_its_metrics(data_dir: Path) -> None:
    args = ["--port", "0", "--docs", "300", "--languages", "en,zh,ar", "--data-dir", str(data_dir)]
    proc, url, lines = start([*args, "--max-concurrency", "3", "--added-latency", "5ms"])
    try:
        assert "; /search cap 3 per process" in lines[1]
        with urllib.request.urlopen(f"{url}/search?q=the&lang=en") as reply:
            assert reply.status == 200
        with urllib.request.urlopen(f"{url}/metrics") as reply:
            text = reply.read().decode()
    finally:
        code, _, err = stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert re.search(r"^refservice_max_concurrency 3\.0$", text, re.M)
    assert re.search(r"^refservice_queue_waiting 0\.0$", text, re.M)


def test_max_concurrency_below_one_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        loadplan("target", "serve", "--max-concurrency", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        (
            "loadplan: error: --max-concurrency = 0: use 1-100000 requests at once, "
            "or leave it out for no cap"
        )
    ]
