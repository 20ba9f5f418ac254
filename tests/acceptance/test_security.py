"""Security checks with real processes: what listens where by default, the flush token, and
no credential in any file of a run directory."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadplan.results.redact import REDACTED
from tests.conftest import StubServer
from tests.support.lenient import lenient_plan

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token"
API_KEY = "s3cret-token-api-key"  # holds TOKEN: a leak of it is found by the same grep
LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (little-endian)


def listening_addresses(port: int) -> list[str]:
    """Local addresses (hex, as the kernel lists them) of the sockets listening on ``port``,
    IPv4 and IPv6: a wildcard bind shows up as 00000000 or as an all-zero IPv6 address."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: TCP_LISTEN
                found.append(address)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def reference_service() -> Iterator[str]:
    """``loadplan target serve`` with its defaults but a small corpus and the flush token."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadplan", "target", "serve", "--port", "0", "--docs", "200",
         "--languages", "en", "--admin-token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        match = re.match(r"loadplan target: ready at (\S+)", line)
        if match:
            url = match.group(1)
            break
    try:
        assert url, "the reference service did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.stdout.close()


def post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def test_the_reference_service_listens_on_loopback_only_by_default(reference_service: str) -> None:
    port = int(reference_service.rsplit(":", 1)[1].split("/")[0])
    assert listening_addresses(port) == [LOOPBACK_HEX]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer wrong-token"}, 403),
        ({"Authorization": f"Bearer {TOKEN}x"}, 403),
        ({"Authorization": f"Bearer {TOKEN}"}, 200),
    ],
    ids=["missing", "no-token", "not-bearer", "wrong", "longer", "right"],
)
def test_the_cache_flush_takes_only_the_right_token(
    reference_service: str, headers: dict[str, str], status: int
) -> None:
    assert post(reference_service + "/admin/cache/flush", headers) == status


def test_the_metrics_port_listens_on_loopback_only_by_default(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "loadplan", "run", str(lenient_plan(tmp_path)), "--url", server.url,
         "--rate", "50",
         "--duration", "3s", "--metrics-port", str(port), "--no-report",
         "--out", str(tmp_path / "run")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    ) as run:  # fmt: skip
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while not seen and run.poll() is None and time.monotonic() < deadline:
            seen = listening_addresses(port)
            time.sleep(0.05)
        _, err = run.communicate(timeout=60)
    assert seen == [LOOPBACK_HEX], err
    assert run.returncode == 0, err


PLAN = f"""
[target]
url = "{{url}}"
[load]
duration = 1
[workload.template]
path = "/search?q=the&lang=en"
headers = {{ "X-Api-Key" = "{API_KEY}" }}  # replaced by --header below
[[stages]]
name = "cache-cold"
type = "constant"
rate = 50
duration = "2s"
flush_cache = true
[admin]
cache_flush = "/admin/cache/flush"
headers = {{ Authorization = "Bearer {TOKEN}" }}
[slo]
p95 = "2s"
[generator]
lag_bound = "1s"        # a shared machine: this test is about files, not the generator's timing
"""


def test_no_token_reaches_any_file_of_the_run_directory(
    reference_service: str, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace("{url}", reference_service))
    out = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "loadplan", "run", str(plan), "--out", str(out),
         "--header", f"Authorization: Bearer {TOKEN}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    # The flush was made with the token (the service answered 200), and the run knows it.
    events = (out / "events.jsonl").read_text()
    assert '"ok": true' in events or '"ok":true' in events, events
    files = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.relative_to(out).as_posix() for p in files}
    for expected in ("meta.json", "snapshots.jsonl", "latency.hlog", "summary.json"):
        assert expected in names, names
    assert any(n.startswith("report/") for n in names), names
    leaks = [p.relative_to(out).as_posix() for p in files if TOKEN.encode() in p.read_bytes()]
    assert leaks == []
    # The headers are still named where they were, with the marker for their values: --header
    # replaced the template's table, so [admin], [workload.template] and the command.
    meta = json.loads((out / "meta.json").read_text())
    assert meta["plan"]["admin"]["headers"] == {"Authorization": REDACTED}
    assert meta["plan"]["workload"]["template"]["headers"] == {"Authorization": REDACTED}
    assert meta["command"].endswith(f"--header 'Authorization: {REDACTED}'")
    # Re-judging from the directory alone still works without the values.
    judged = subprocess.run(
        [sys.executable, "-m", "loadplan", "judge", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert judged.returncode == 0, judged.stdout + judged.stderr
