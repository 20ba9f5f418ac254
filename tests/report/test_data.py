"""report/data.py: one read of a run directory gives per-second, per-stage and per-tag series."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.errors import RunDirError
from loadplan.report.data import ReportData
from tests.report.support import RunSpec, write_run


def test_seconds_and_stages_come_from_the_snapshot_rows(full_run: Path) -> None:
    data = ReportData.load(full_run)
    assert [s.index for s in data.seconds] == [0, 1, 2, 3, 4]
    assert [(st.name, st.start_s, st.end_s) for st in data.stages] == [
        ("baseline", 0.0, 3.0),
        ("spike", 3.0, 5.0),
    ]
    baseline, spike = data.stages
    assert (baseline.due, spike.due) == (180, 240)
    assert spike.failed == 6
    # Stage histograms are the merge of their seconds' histograms: counts add exactly.
    assert baseline.latency.get_total_count() == 180
    assert spike.latency.get_total_count() == 240
    assert data.complete is True
    assert data.seconds[3].offered_rps == pytest.approx(120.0)


def test_tags_are_merged_per_single_tag_name(full_run: Path) -> None:
    data = ReportData.load(full_run)
    assert list(data.tags) == ["bucket", "lang", "x-cache"]
    langs = {v.value: v for v in data.tags["lang"]}
    # lang=ja appears in two combinations (head/HIT and tail/MISS) per second: 2 x 10 per second
    # in the baseline (60/s over six combinations), 2 x 20 in the spike.
    assert langs["ja"].count == 3 * 20 + 2 * 40
    assert langs["ja"].per_second == (20, 20, 20, 40, 40)
    assert langs["ja"].latency.get_total_count() == langs["ja"].count
    cache = {v.value: v for v in data.tags["x-cache"]}
    assert cache["HIT"].latency.get_max_value() < cache["MISS"].latency.get_min_value()


def test_cache_hit_ratio_per_second_from_the_cache_tag(full_run: Path) -> None:
    data = ReportData.load(full_run)
    assert data.cache_tag() == "x-cache"
    assert data.cache_hit_ratio() == [0.5] * 5


def test_verdict_and_target_metrics_are_read_when_present(full_run: Path) -> None:
    data = ReportData.load(full_run)
    assert data.verdict is not None
    assert data.verdict.passed is False
    assert [(b.percentile, b.bound_ms) for b in data.sla_bounds] == [(95.0, 300.0), (99.0, 15.0)]
    assert data.target is not None
    assert data.target.cpu[0].values[0] == pytest.approx(0.25)


def test_a_killed_run_loads_as_partial_with_every_recorded_second(bare_run: Path) -> None:
    data = ReportData.load(bare_run)
    assert data.complete is False
    assert len(data.seconds) == 4
    assert [s.name for s in data.stages] == ["run"]
    assert data.tags == {}
    assert data.verdict is None
    assert data.target is None
    assert data.generator["bound"] is True
    assert data.cache_hit_ratio() == []


def test_a_torn_last_second_is_left_out_everywhere(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", RunSpec(killed=True))
    # kill -9 mid-write: the last JSON row is torn, its histograms may already be on disk.
    jsonl = run / "snapshots.jsonl"
    text = jsonl.read_text()
    jsonl.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1] + '{"index": 4, "sta')
    data = ReportData.load(run)
    assert len(data.seconds) == 4
    assert sum(st.latency.get_total_count() for st in data.stages) == 180 + 120
    assert all(len(v.per_second) == 4 for v in data.tags["lang"])


def test_not_a_run_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(RunDirError, match="not a loadplan run directory"):
        ReportData.load(tmp_path)
