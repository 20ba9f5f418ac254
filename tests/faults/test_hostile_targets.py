"""Hostile targets: an answer trickled a byte at a time, a megabyte of headers, a chunked body
that never ends. Each request is classified, the generator's memory stays flat, the run goes on
to its end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import StubServer

from .support import loadplan, snapshot_rows, summary_of

pytestmark = pytest.mark.slow

RATE, SECONDS = 10, 3
RSS_GROWTH_MB = 40
"""Most the generator's resident memory may grow over a run against a hostile target: a
client that kept the megabyte heads or the endless bodies would pass it within the run."""


@pytest.mark.parametrize(
    ("mode", "extra", "expected"),
    [
        # 60 bytes, one every 50 ms: bytes keep coming, so only the total timeout (1 s) ends it.
        pytest.param("trickle", ("--delay", "0.05"), "timeout", id="trickle"),
        # Over the client's 64 KiB cap on a response head: refused like nginx and Node do.
        pytest.param(
            "hugeheaders", ("--header-bytes", str(1 << 20)), "protocol_error", id="1MB-head"
        ),
        # A body is read and dropped as it comes, so it costs no memory: the timeout ends it.
        pytest.param("endless", (), "timeout", id="endless-chunked"),
    ],
)
def test_hostile_target_is_classified_and_the_run_goes_on(
    stub_server: Callable[..., StubServer],
    tmp_path: Path,
    mode: str,
    extra: tuple[str, ...],
    expected: str,
) -> None:
    server = stub_server(mode, *extra)
    out = tmp_path / "run"
    result = loadplan(
        "run", "--url", server.url, "--rate", str(RATE), "--duration", f"{SECONDS}s",
        "--timeout", "1s", "--capture-header", "X-Cache", "--out", str(out), "--no-report",
    )  # fmt: skip
    # Exit 0: the run completed, the generator kept up, and no [slo] judges the target's
    # failures; they are all counted and classified below.
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    summary = summary_of(out)
    assert summary["complete"] is True
    assert summary["stop_reason"] == "completed"
    requests = summary["requests"]
    assert requests["due"] == RATE * SECONDS
    assert requests["completed"] == requests["due"]
    assert summary["errors"] == {expected: requests["due"]}
    assert server.requests_seen() == requests["due"]
    rows = snapshot_rows(out)
    rss = [row["rss_mb"] for row in rows]
    assert max(rss) - rss[0] < RSS_GROWTH_MB, json.dumps(rss)
