"""Every panel of the generated Grafana dashboard returns data from a real Prometheus.

A real Prometheus (Debian's ``prometheus``) scrapes, every second, ``loadplan run
--metrics-port`` during a real 8 s run and the reference service the run loads. Then each
panel's queries, taken from the dashboard JSON with its variables filled in, go to Prometheus'
HTTP API at a moment inside the run, and each must return data.
"""

from __future__ import annotations

import json
import math
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadplan.report.grafana import dashboard_json
from tests.support.browser import require
from tests.support.lenient import lenient_plan

pytestmark = pytest.mark.slow

READY = "loadplan target: ready at "
RATE_INTERVAL = "10s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


@pytest.fixture
def target() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "target", "serve", "--port", "0", "--docs", "2000"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(READY):
                yield line[len(READY) :].strip()
                break
        else:
            pytest.fail(f"the reference service exited ({proc.wait()}) before it was ready")
    finally:
        stop(proc)


def start_prometheus(tmp_path: Path, targets: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    binary = require("prometheus", "prometheus")
    jobs = "".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['{where}']\n"
        for job, where in targets.items()
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{jobs}"
    )
    listen = f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address={listen}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://{listen}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    stop(proc)
    pytest.fail("prometheus did not become ready within 30 s")


def panel_queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query, with the dashboard's variables filled in."""
    values = {v["name"]: v.get("current", {}).get("value", "") for v in board["templating"]["list"]}
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", RATE_INTERVAL)
            expr = re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], expr)
            out.append((panel["title"], expr))
    return out


def query(prometheus: str, expr: str, at: float) -> list[dict[str, Any]]:
    params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query?{params}", timeout=10) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_every_dashboard_panel_returns_data(target: str, tmp_path: Path) -> None:
    metrics_port = free_port()
    host_port = target.removeprefix("http://")
    prometheus, prom_url = start_prometheus(
        tmp_path, {"loadplan": f"127.0.0.1:{metrics_port}", "refservice": host_port}
    )
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "loadplan", "run", str(lenient_plan(tmp_path)), "--url",
             target, "--rate", "100",
             "--duration", "8s", "--path", "/search?q=hello&lang=en", "--capture-header",
             "X-Cache", "--metrics-port", str(metrics_port), "--no-report",
             "--out", str(tmp_path / "run")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ) as run:  # fmt: skip
            assert run.stdout is not None
            assert run.stderr is not None
            at = None
            for line in run.stdout:
                # One line per second when stdout is not a terminal. At the seventh, about six
                # scrapes of the live endpoint are in, and it is still up.
                if line.startswith("t=   7.0s"):
                    at = time.time()
            err = run.stderr.read()
        assert run.returncode == 0, err
        assert at is not None, "the run never reached its seventh second"
        time.sleep(1.5)  # let Prometheus finish the scrape that covers `at`
        board = json.loads(dashboard_json())
        queries = panel_queries(board)
        assert len({title for title, _ in queries}) == 13
        empty = []
        for title, expr in queries:
            result = query(prom_url, expr, at)
            values = [float(r["value"][1]) for r in result]
            if not any(math.isfinite(v) for v in values):
                empty.append(f"{title}: {expr} -> {result}")
        assert empty == []
    finally:
        stop(prometheus)
