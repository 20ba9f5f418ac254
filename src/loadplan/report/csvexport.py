"""The run as CSV, for spreadsheets and other tools: per second, per stage, per tag value.

Latency columns are milliseconds. Percentiles of stages and tags come from their merged
histograms (exact), never from averaging per-second percentiles.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import MappingProxyType

from hdrh.histogram import HdrHistogram

from loadplan.report.data import ReportData
from loadplan.results.histogram import values_at_percentiles

CSV_FILES = MappingProxyType(
    {
        "seconds.csv": "one row per second",
        "stages.csv": "one row per stage",
        "tags.csv": "one row per tag value",
    }
)
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
QUANTILE_COLUMNS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p99_9_ms", "max_ms")


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _quantiles(hist: HdrHistogram) -> list[str]:
    if hist.get_total_count() == 0:
        return [""] * len(QUANTILE_COLUMNS)
    values = values_at_percentiles(hist, QUANTILES) / 1000.0
    return [*(_num(float(v)) for v in values), _num(hist.get_max_value() / 1000.0)]


def write_csv(data: ReportData, out_dir: Path) -> list[Path]:
    """Write the three CSV files into ``out_dir``; return their paths."""
    classes = sorted({k for s in data.seconds for k in s.errors})
    seconds = out_dir / "seconds.csv"
    _write(
        seconds,
        [
            "index",
            "start_s",
            "end_s",
            "stage",
            "due",
            "completed",
            "offered_rps",
            "achieved_rps",
            *(f"outcome_{c}" for c in classes),
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "max_ms",
            "mean_ms",
            "lag_p99_ms",
            "cpu_busiest_worker",
            "inflight_max",
            "backlog",
        ],
        (
            [
                s.index,
                _num(s.start_s),
                _num(s.end_s),
                s.stage,
                s.due,
                s.completed,
                _num(s.offered_rps, 2),
                _num(s.achieved_rps, 2),
                *(s.errors.get(c, 0) for c in classes),
                *(_num(s.latency_ms.get(k)) for k in ("p50", "p95", "p99", "max", "mean")),
                _num(s.lag_p99_ms),
                _num(s.cpu, 4),
                s.inflight_max,
                s.backlog,
            ]
            for s in data.seconds
        ),
    )
    stages = out_dir / "stages.csv"
    _write(
        stages,
        [
            "stage",
            "start_s",
            "end_s",
            "due",
            "completed",
            "failed",
            "error_rate",
            "offered_rps",
            "achieved_rps",
            *QUANTILE_COLUMNS,
        ],
        (
            [
                st.name,
                _num(st.start_s),
                _num(st.end_s),
                st.due,
                st.completed,
                st.failed,
                _num(st.failed / st.completed if st.completed else None, 6),
                _num(st.due / st.duration_s, 2),
                _num(st.completed / st.duration_s, 2),
                *_quantiles(st.latency),
            ]
            for st in data.stages
        ),
    )
    tags = out_dir / "tags.csv"
    _write(
        tags,
        ["tag", "value", "count", "errors", *QUANTILE_COLUMNS],
        (
            [v.name, v.value, v.count, v.errors, *_quantiles(v.latency)]
            for values in data.tags.values()
            for v in values
        ),
    )
    return [seconds, stages, tags]
