"""latency.hlog as other tools read it: HdrHistogram's own log reader, and loadplan's, on old
and new logs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

from loadplan.results.histogram import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS
from loadplan.results.runlog import HLOG, read_hlog
from tests.conftest import StubServer

QUANTILES = (50, 95, 99)


def _untagged(hlog: Path) -> list[HdrHistogram]:
    """Every untagged interval (the latency histogram) as hdrh's reader returns it."""
    reader = HistogramLogReader(str(hlog), HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS))
    found: list[HdrHistogram] = []
    try:
        while (hist := reader.get_next_interval_histogram()) is not None:
            if hist.get_tag() is None:
                found.append(hist)
    finally:
        reader.close()
    return found


@pytest.mark.slow
def test_hdrhistograms_own_reader_reads_a_real_runs_log_as_the_summary_says(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    out = tmp_path / "run"
    args = ["run", "--url", server.url, "--rate", "200", "--duration", "3s", "--out", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "loadplan", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    summary = json.loads((out / "summary.json").read_text())
    seconds = _untagged(out / HLOG)
    assert seconds, "hdrh's HistogramLogReader read no interval from latency.hlog"
    total = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    for hist in seconds:
        total.add(hist)
    assert total.get_total_count() == summary["requests"]["completed"] == 600
    for q in QUANTILES:
        assert total.get_value_at_percentile(q) / 1000 == summary["latency_ms"][f"p{q}"], q
    # The reader puts the intervals at their wall-clock time: inside the run, not in 1970.
    started = json.loads((out / "meta.json").read_text())["started_at"]
    first_ms = seconds[0].get_start_time_stamp()
    assert started - 1 <= first_ms / 1000 <= started + 5


OLD_HEADER = (
    "#[Histogram log format version 1.3]\n"
    "#[StartTime: 1700000000.000 (seconds since epoch), 2023-11-14T22:13:20+00:00]\n"
    "#[BaseTime: 0.000 (seconds since epoch)]\n"
    "#[Values in microseconds; Interval_Max in milliseconds]\n"
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
)
NEW_HEADER = OLD_HEADER.replace("BaseTime: 0.000", "BaseTime: 1700000000.000")


@pytest.mark.parametrize("header", [OLD_HEADER, NEW_HEADER], ids=["base-time-0", "base-time-start"])
def test_loadplan_reads_logs_written_before_and_after_the_base_time_fix(
    tmp_path: Path, header: str
) -> None:
    hist = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    hist.record_value(1500, 7)
    payload = hist.encode().decode()
    lines = [f"0.000,1.000,1.500,{payload}", f"Tag=service,0.000,1.000,1.500,{payload}"]
    lines.append(f"1.000,1.000,1.500,{payload}")
    (tmp_path / HLOG).write_text(header + "\n".join(lines) + "\n", encoding="ascii")
    entries = list(read_hlog(tmp_path))
    assert [(e.tag, e.start_s, e.length_s) for e in entries] == [
        ("", 0.0, 1.0),
        ("service", 0.0, 1.0),
        ("", 1.0, 1.0),
    ]
    assert [e.histogram.get_total_count() for e in entries] == [7, 7, 7]


def test_the_old_header_is_what_hdrhs_reader_could_not_read(tmp_path: Path) -> None:
    """The regression the fix is for, shown on a written log: BaseTime 0 puts every interval
    in 1970 and the reader skips it; BaseTime = StartTime reads it."""
    hist = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    hist.record_value(1500, 3)
    body = f"0.000,1.000,1.500,{hist.encode().decode()}\n"
    old, new = tmp_path / "old.hlog", tmp_path / "new.hlog"
    old.write_text(OLD_HEADER + body, encoding="ascii")
    new.write_text(NEW_HEADER + body, encoding="ascii")
    assert _untagged(old) == []
    assert [h.get_total_count() for h in _untagged(new)] == [3]
