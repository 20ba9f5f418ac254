"""The run directory: the only link between a run and its reports (vegeta's ``attack | report``).

Layout::

    RUN_DIR/
      meta.json          what was run: plan, target, workers, start time (written first)
      snapshots.jsonl    one JSON line per second: counts and percentiles (appended, flushed)
      latency.hlog       HdrHistogram interval log: per second, the untagged latency histogram,
                         then Tag=service, Tag=lag and Tag=latency;<tags> lines (appended, flushed)
      summary.json       whole-run totals, written last (absent if the run was killed)

Every second is appended and flushed as it completes, so a run killed at any moment (even with
kill -9) leaves every finished second readable. Readers tolerate a torn last line. A second that
cannot be written whole (a full disk) is taken back from both files (``LineFile``): what stays
is whole lines, the same seconds in each file.
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from loadplan.errors import RunDirError
from loadplan.results.histogram import decode, encode
from loadplan.results.linefile import LineFile
from loadplan.results.snapshot import IntervalSnapshot

META = "meta.json"
SNAPSHOTS = "snapshots.jsonl"
HLOG = "latency.hlog"
SUMMARY = "summary.json"

LATENCY_TAG = ""
SERVICE_TAG = "service"
LAG_TAG = "lag"
TAG_PREFIX = "latency;"


def write_failure(exc: OSError) -> str:
    """Why a write failed, for a one-line error: a full disk said in so many words."""
    reason = (exc.strerror or type(exc).__name__).lower()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: {reason}"
    return reason


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``path`` whole or not at all; a failed write (a full disk) leaves no temp file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


class RunLogWriter:
    """Appends snapshots to a run directory as they happen.

    Example::

        with RunLogWriter(Path("runs/x"), meta={"target": "http://127.0.0.1:8080"}) as log:
            log.append(snapshot)
            log.finish(summary)
    """

    def __init__(self, run_dir: Path, meta: dict[str, Any]) -> None:
        self.run_dir = run_dir
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"--out {run_dir}: cannot create the run directory ({exc.strerror})"
            raise RunDirError(msg) from None
        if (run_dir / SNAPSHOTS).exists():
            msg = f"--out {run_dir}: already holds a run; choose a new directory"
            raise RunDirError(msg)
        started = time.time()
        try:
            write_json_atomic(run_dir / META, {**meta, "started_at": started})
            self._jsonl = LineFile(run_dir / SNAPSHOTS)
            self._hlog = LineFile(run_dir / HLOG)
            self._start_hlog(started)
        except OSError as exc:
            for opened in (getattr(self, "_jsonl", None), getattr(self, "_hlog", None)):
                if opened is not None:
                    opened.close()
            msg = (
                f"--out {run_dir}: cannot write the run directory ({write_failure(exc)}); "
                "free space there or choose another --out"
            )
            raise RunDirError(msg) from None

    def _start_hlog(self, started: float) -> None:
        stamp = datetime.fromtimestamp(started, UTC).isoformat()
        # Interval timestamps are seconds since the run started. HdrHistogram's log readers
        # (Java HistogramLogReader and its ports) add BaseTime to them to get epoch times, so
        # BaseTime is the start, as Java's HistogramLogWriter writes it; with BaseTime 0 they
        # read every interval as 1970 and skip it.
        header = (
            "#[Histogram log format version 1.3]\n"
            f"#[StartTime: {started:.3f} (seconds since epoch), {stamp}]\n"
            f"#[BaseTime: {started:.3f} (seconds since epoch)]\n"
            "#[Values in microseconds; Interval_Max in milliseconds]\n"
            '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
        )
        self._hlog.append(header.encode("ascii"))

    def append(self, snap: IntervalSnapshot, pause: Callable[[], object] = lambda: None) -> None:
        """Write one second, both files or neither; ``pause`` runs between histograms
        (``IntervalSnapshot.from_raw``).

        Each write goes straight to the OS (no buffer), so after kill -9 the OS still holds
        every second appended. An OSError (ENOSPC ...) leaves both files at the previous
        second and is raised; the writer is then closed.
        """
        row = json.dumps(snap.summary(), separators=(",", ":")) + "\n"
        pause()
        lines = [self._hlog_line(LATENCY_TAG, snap, snap.latency)]
        lines.append(self._hlog_line(SERVICE_TAG, snap, snap.service))
        lines.append(self._hlog_line(LAG_TAG, snap, snap.lag))
        for key, hist in snap.tags.items():
            pause()
            lines.append(self._hlog_line(TAG_PREFIX + key, snap, hist))
        rows_before = self._jsonl.size
        try:
            self._jsonl.append(row.encode("utf-8"))
            self._hlog.append("".join(lines).encode("ascii"))
        except OSError:
            self._jsonl.cut_to(rows_before)  # the row without its histograms goes too
            self.close()
            raise

    @staticmethod
    def _hlog_line(tag: str, snap: IntervalSnapshot, hist: HdrHistogram) -> str:
        prefix = f"Tag={tag}," if tag else ""
        length = snap.end_s - snap.start_s
        return (
            f"{prefix}{snap.start_s:.3f},{length:.3f},{hist.get_max_value() / 1000:.3f},"
            f"{encode(hist)}\n"
        )

    @property
    def closed(self) -> bool:
        return self._jsonl.closed

    def finish(self, summary: dict[str, Any]) -> None:
        self.close()
        write_json_atomic(self.run_dir / SUMMARY, summary)

    def close(self) -> None:
        self._jsonl.close()
        self._hlog.close()

    def __enter__(self) -> RunLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class HlogEntry:
    """One interval histogram read back from latency.hlog."""

    tag: str
    start_s: float
    length_s: float
    histogram: HdrHistogram


def check_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        msg = f"{run_dir}: no such run directory; pass the --out directory of a run"
        raise RunDirError(msg)
    if not (run_dir / META).exists():
        msg = f"{run_dir}: not a loadplan run directory (no {META})"
        raise RunDirError(msg)


def read_meta(run_dir: Path) -> dict[str, Any]:
    check_run_dir(run_dir)
    data: dict[str, Any] = json.loads((run_dir / META).read_text(encoding="utf-8"))
    return data


def read_snapshot_lines(run_dir: Path) -> Iterator[dict[str, Any]]:
    """The per-second records; a torn last line (the run was killed mid-write) is skipped."""
    path = run_dir / SNAPSHOTS
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                return
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                return


def read_hlog(run_dir: Path) -> Iterator[HlogEntry]:
    """Interval histograms from latency.hlog; comment, legend and torn lines are skipped.

    ``start_s`` is the logged timestamp, seconds since the run started, in logs of every
    loadplan version: older ones said ``BaseTime: 0.000`` but their timestamps were relative
    too, so the header is not needed to read them.
    """
    path = run_dir / HLOG
    if not path.exists():
        return
    with path.open(encoding="ascii") as f:
        for line in f:
            if not line.endswith("\n") or line.startswith(("#", '"')):
                continue
            tag = ""
            if line.startswith("Tag="):
                tag, _, line = line[4:].partition(",")
            parts = line.rstrip("\n").split(",")
            if len(parts) != 4:
                continue
            try:
                hist = decode(parts[3])
            except Exception:
                return
            yield HlogEntry(tag, float(parts[0]), float(parts[1]), hist)


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / SUMMARY
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_seconds(run_dir: Path) -> Iterator[IntervalSnapshot]:
    """The run's merged seconds as the coordinator published them, rebuilt from both files.

    A second's JSON row and its histograms are written one after the other, so the two files
    are walked side by side and memory stays flat however long the run was. A second whose row
    made it to disk but whose histograms did not (the run was killed between the two writes)
    comes back with empty histograms; its counts still count.
    """
    hlog = read_hlog(run_dir)
    pending: HlogEntry | None = next(hlog, None)
    for row in read_snapshot_lines(run_dir):
        start = round(float(row["start_s"]), 3)
        hists: dict[str, HdrHistogram] = {}
        # Entries of seconds without a row (a torn JSON line) are passed over.
        while pending is not None and round(pending.start_s, 3) < start:
            pending = next(hlog, None)
        while pending is not None and round(pending.start_s, 3) == start:
            hists[pending.tag] = pending.histogram
            pending = next(hlog, None)
        yield IntervalSnapshot.from_logged(row, hists)
