"""results/linefile.py and the run log on a disk that fills: a failed append leaves the file(s)
as they were before it, whole lines only, the same seconds in snapshots.jsonl and latency.hlog."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from loadplan.results import linefile, runlog
from loadplan.results.linefile import LineFile
from loadplan.results.runlog import RunLogWriter, write_failure
from tests.support.snapshots import second


def full_after(budget: int) -> Callable[[int, memoryview], int]:
    """An ``os.write`` whose disk holds ``budget`` more bytes: a short write, then ENOSPC."""
    real = os.write
    left = [budget]

    def write(fd: int, data: memoryview) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real(fd, data[: left[0]])
        left[0] -= n
        return n

    return write


@pytest.mark.parametrize(
    ("budget", "kept"),
    [
        pytest.param(0, b"a\n", id="nothing-fits"),
        pytest.param(3, b"a\n", id="part-of-the-line-fits"),
        pytest.param(100, b"a\nbbbb\n", id="all-fits"),
    ],
)
def test_an_append_is_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int, kept: bytes
) -> None:
    path = tmp_path / "x.jsonl"
    lines = LineFile(path)
    lines.append(b"a\n")
    monkeypatch.setattr(linefile.os, "write", full_after(budget))
    if kept == b"a\n":
        with pytest.raises(OSError, match="No space left") as caught:
            lines.append(b"bbbb\n")
        assert caught.value.errno == errno.ENOSPC
    else:
        lines.append(b"bbbb\n")
    lines.close()
    assert path.read_bytes() == kept
    assert lines.size == len(kept)


def test_a_second_whose_histograms_do_not_fit_is_taken_back_from_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "run"
    log = RunLogWriter(run_dir, meta={"target": "http://127.0.0.1:1"})
    log.append(second(0, "constant", [1.0, 2.0]))
    rows_size = (run_dir / runlog.SNAPSHOTS).stat().st_size
    hlog_size = (run_dir / runlog.HLOG).stat().st_size
    # Room for the second's JSON row and a few bytes of its histograms, not for all of them.
    row = len(json.dumps(second(1, "constant", [1.0]).summary(), separators=(",", ":")))
    monkeypatch.setattr(linefile.os, "write", full_after(row + 1 + 10))
    with pytest.raises(OSError, match="No space left"):
        log.append(second(1, "constant", [1.0]))
    assert log.closed
    assert (run_dir / runlog.SNAPSHOTS).stat().st_size == rows_size
    assert (run_dir / runlog.HLOG).stat().st_size == hlog_size
    assert [r["index"] for r in runlog.read_snapshot_lines(run_dir)] == [0]
    assert [s.index for s in runlog.read_seconds(run_dir)] == [0]


@pytest.mark.parametrize(
    ("code", "said"),
    [
        pytest.param(errno.ENOSPC, "the disk is full: no space left on device", id="enospc"),
        pytest.param(errno.EDQUOT, "the disk is full: disk quota exceeded", id="quota"),
        pytest.param(errno.EACCES, "permission denied", id="other"),
    ],
)
def test_write_failure_says_when_the_disk_is_full(code: int, said: str) -> None:
    assert write_failure(OSError(code, os.strerror(code))) == said
