"""report/target.py: the target's scraped metrics, counters turned into rates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadplan.report.target import read_target_metrics


def write(run: Path, rows: list[dict[str, object]], torn: str = "") -> None:
    text = "".join(json.dumps(r) + "\n" for r in rows) + torn
    (run / "target_metrics.jsonl").write_text(text)


def test_absent_file_means_not_scraped(tmp_path: Path) -> None:
    assert read_target_metrics(tmp_path) is None


def test_cpu_counter_becomes_cores_and_memory_mib(tmp_path: Path) -> None:
    write(tmp_path, [
        {"t_s": 0.0, "process_cpu_seconds_total": 10.0, "process_resident_memory_bytes": 2**20},
        {"t_s": 2.0, "process_cpu_seconds_total": 11.0, "process_resident_memory_bytes": 2**21},
        {"t_s": 3.0, "process_cpu_seconds_total": 0.5, "process_resident_memory_bytes": 2**21},
    ], torn='{"t_s": 4.0, "process_cpu')  # fmt: skip
    target = read_target_metrics(tmp_path)
    assert target is not None
    assert target.rows == 3
    (cpu,) = target.cpu
    # 1 CPU second over 2 s = half a core; the drop after (a restart) gives no point.
    assert (cpu.t_s, cpu.values) == ((2.0,), (0.5,))
    (mem,) = target.memory
    assert mem.values == (1.0, 2.0, 2.0)
    assert target.cache_hit_ratio is None


def test_nested_rows_and_cache_hit_ratio(tmp_path: Path) -> None:
    write(tmp_path, [
        {"t_s": 1.0, "metrics": {"cache_hits_total": 0, "cache_misses_total": 0}},
        {"t_s": 2.0, "metrics": {"cache_hits_total": 30, "cache_misses_total": 10}},
        {"t_s": 3.0, "metrics": {"cache_hits_total": 30, "cache_misses_total": 10}},
    ])  # fmt: skip
    target = read_target_metrics(tmp_path)
    assert target is not None
    ratio = target.cache_hit_ratio
    assert ratio is not None
    assert ratio.t_s == (2.0,)
    assert ratio.values == pytest.approx((0.75,))
