"""The target's scraped rows (CPU per request, cache hit rate) on run directories read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loadplan.analysis.compare.gate import Verdict, parse_fail_on
from loadplan.analysis.compare.runs import Comparison, Row, compare_runs
from loadplan.analysis.compare.samples import group_seconds
from loadplan.analysis.compare.scraped import block_of, stage_intervals
from loadplan.analysis.compare.stats import Figure
from loadplan.results.result import RunResult
from tests.analysis.compare.rundirs import HITS, MISSES, RATE, STAGE, RunDir, write_run

CPU = Figure.CPU_PER_REQUEST
SCRAPED = (CPU, Figure.TARGET_HIT_RATE)
NONE = "no target_metrics.jsonl (the run scraped nothing)"


def compared(tmp_path: Path, base: RunDir, new: RunDir, *fail_on: str) -> Comparison:
    b = RunResult.load(write_run(tmp_path / "base", base))
    n = RunResult.load(write_run(tmp_path / "new", new))
    return compare_runs(b, n, parse_fail_on(fail_on))


def scraped_rows(comparison: Comparison) -> dict[Figure, Row]:
    return {r.figure: r for r in comparison.rows if r.figure.scraped}


def test_both_scraped_gives_a_row_each_with_the_runs_values(tmp_path: Path) -> None:
    comparison = compared(tmp_path, RunDir(1), RunDir(2))
    rows = scraped_rows(comparison)
    assert sorted(rows) == sorted(SCRAPED)
    cpu, hit = rows[Figure.CPU_PER_REQUEST], rows[Figure.TARGET_HIT_RATE]
    assert (cpu.label, cpu.tag, hit.label, hit.tag) == (STAGE, "", STAGE, "")
    assert cpu.difference.base == pytest.approx(2.0, rel=0.05)  # ms of CPU per request
    assert hit.difference.base == pytest.approx(0.8, abs=0.02)
    assert not cpu.threshold.gated  # shown; gated only when --fail-on names it
    assert hit.threshold.gated
    assert (cpu.verdict, hit.verdict) == (Verdict.NO_CHANGE, Verdict.NO_CHANGE)
    assert comparison.notes == ()
    assert comparison.exit_code == 0
    # The scraped rows follow the stage's own rows, before any tag row.
    figures = [r.figure for r in comparison.rows if r.tag == ""]
    assert figures[-2:] == list(SCRAPED)


@pytest.mark.parametrize(
    ("new", "fail_on", "figure", "verdict", "code"),
    [
        pytest.param(RunDir(2, cpu_ms=2.6), (), CPU, "regressed", 0, id="cpu+30%-shown"),
        pytest.param(RunDir(2, cpu_ms=2.6), ("cpu=+25%",), CPU, "regressed", 1, id="cpu+30%"),
        pytest.param(RunDir(2, cpu_ms=2.1), ("cpu=+25%",), CPU, "no change", 0, id="cpu+5%"),
        pytest.param(RunDir(2, cpu_ms=1.4), ("cpu=+25%",), CPU, "improved", 0, id="cpu-30%"),
        pytest.param(
            RunDir(2, cpu_ms=2.6), ("cpu=+40%",), Figure.CPU_PER_REQUEST, "no change", 0,
            id="cpu+30%-under-40%",
        ),
        pytest.param(
            RunDir(2, cpu_ms=2.6), ("cpu_per_request=off",), Figure.CPU_PER_REQUEST, "regressed",
            0, id="cpu-not-gated",
        ),
        pytest.param(
            RunDir(2, hit_rate=0.7), (), Figure.TARGET_HIT_RATE, "regressed", 1, id="hits-10pt"
        ),
        pytest.param(
            RunDir(2, hit_rate=0.79), (), Figure.TARGET_HIT_RATE, "no change", 0, id="hits-1pt"
        ),
    ],
)  # fmt: skip
def test_a_scraped_change_gets_its_verdict_and_exit_code(
    tmp_path: Path,
    new: RunDir,
    fail_on: tuple[str, ...],
    figure: Figure,
    verdict: str,
    code: int,
) -> None:
    comparison = compared(tmp_path, RunDir(1), new, *fail_on)
    row = scraped_rows(comparison)[figure]
    assert row.verdict is Verdict(verdict), row.reason
    assert comparison.exit_code == code


def test_cpu_up_30_percent_is_measured_as_about_that(tmp_path: Path) -> None:
    row = scraped_rows(compared(tmp_path, RunDir(1), RunDir(2, cpu_ms=2.6)))[Figure.CPU_PER_REQUEST]
    diff = row.difference
    assert diff.change is not None
    assert diff.low is not None
    assert diff.high is not None
    assert diff.change == pytest.approx(0.3, abs=0.05)
    assert 0.10 < diff.low <= diff.change <= diff.high
    assert row.reason == "past +25%, interval clear of no change"


@pytest.mark.parametrize(
    ("base", "new", "notes"),
    [
        pytest.param(
            RunDir(1), RunDir(2, cpu_ms=None),
            (f"cpu_per_request not compared: new run: {NONE}",
             f"target_hit_rate not compared: new run: {NONE}"),
            id="new-unscraped",
        ),
        pytest.param(
            RunDir(1, cpu_ms=None), RunDir(2, cpu_ms=None),
            (f"cpu_per_request not compared: base run: {NONE}; new run: {NONE}",
             f"target_hit_rate not compared: base run: {NONE}; new run: {NONE}"),
            id="neither",
        ),
        pytest.param(
            RunDir(1), RunDir(2, cache_counters=False),
            (f"target_hit_rate not compared: new run: no {HITS} or {MISSES} scraped",),
            id="no-cache-counters",
        ),
    ],
)  # fmt: skip
def test_a_figure_one_run_lacks_has_no_row_and_a_note(
    tmp_path: Path, base: RunDir, new: RunDir, notes: tuple[str, ...]
) -> None:
    comparison = compared(tmp_path, base, new)
    assert comparison.notes == notes
    left_out = {f for f in SCRAPED if any(f.value in n for n in notes)}
    assert set(scraped_rows(comparison)) == set(SCRAPED) - left_out
    assert comparison.exit_code == 0


def test_one_run_unscraped_leaves_the_other_rows_and_the_exit_code_as_they_were(
    tmp_path: Path,
) -> None:
    # The same seconds (same seeds), with and without the new run's scrapes.
    scraped = compared(tmp_path / "a", RunDir(1), RunDir(2, cpu_ms=2.6), "cpu=+25%")
    unscraped = compared(tmp_path / "b", RunDir(1), RunDir(2, cpu_ms=None), "cpu=+25%")
    assert scraped.exit_code == 1
    assert unscraped.exit_code == 0
    second_rows = [r for r in scraped.rows if not r.figure.scraped]
    assert [(r.label, r.tag, r.figure, r.verdict) for r in unscraped.rows] == [
        (r.label, r.tag, r.figure, r.verdict) for r in second_rows
    ]


def test_intervals_are_cut_at_the_stage_s_scrapes_and_count_its_requests(tmp_path: Path) -> None:
    run = RunResult.load(write_run(tmp_path / "run", RunDir(1)))
    metrics = run.target_metrics(HITS, MISSES)
    assert metrics is not None
    group = group_seconds(run.seconds())[(STAGE, "")]
    intervals = stage_intervals(metrics, group)
    assert intervals.count == 20  # scrapes at 0.003, 2.003, ..., 40.003
    assert intervals.start_s[0] == pytest.approx(0.003)
    assert intervals.end_s[-1] == pytest.approx(40.003)
    # Each interval holds 2 s of 200 answers a second; the last loses the 3 ms after the stage.
    assert np.allclose(intervals.completed[:-1], 2 * RATE)
    assert intervals.completed[-1] == pytest.approx(2 * RATE - 0.003 * RATE)
    assert intervals.cpu_s is not None
    assert intervals.cpu_s.sum() == pytest.approx(2 * RATE * 20 * 0.002, rel=0.05)
    assert block_of(intervals) == 3  # 5 s blocks of 2 s scrape intervals, rounded up


def test_too_few_scrape_intervals_is_inconclusive_and_not_gated(tmp_path: Path) -> None:
    base = RunResult.load(write_run(tmp_path / "base", RunDir(1)))
    new_dir = write_run(tmp_path / "new", RunDir(2))
    metrics = new_dir / "target_metrics.jsonl"
    lines = metrics.read_text(encoding="utf-8").splitlines()
    metrics.write_text("\n".join(lines[::7]) + "\n", encoding="utf-8")  # t = 0, 14, 28 s
    comparison = compare_runs(base, RunResult.load(new_dir))
    row = scraped_rows(comparison)[Figure.CPU_PER_REQUEST]
    assert row.verdict is Verdict.INCONCLUSIVE
    assert row.reason == "20 vs 2 scrape intervals; needs >= 4 each"
    assert not row.threshold.gated
    # The run's own rows decide: too few scrapes does not make a short run's gate inconclusive.
    assert comparison.exit_code == 0


@pytest.mark.parametrize(
    ("history", "verdict"),
    [
        pytest.param((2.0, 2.0, 2.05), "regressed", id="quiet-history"),
        pytest.param((2.0, 2.0, 2.6), "no change", id="history-spans-the-change"),
    ],
)
def test_baseline_runs_spread_is_the_cpu_noise_floor(
    tmp_path: Path, history: tuple[float, ...], verdict: str
) -> None:
    base = RunResult.load(write_run(tmp_path / "base", RunDir(1)))
    new = RunResult.load(write_run(tmp_path / "new", RunDir(2, cpu_ms=2.6)))
    earlier = [
        RunResult.load(write_run(tmp_path / "history" / f"run{i}", RunDir(10 + i, cpu_ms=ms)))
        for i, ms in enumerate(history)
    ]
    row = scraped_rows(compare_runs(base, new, baseline=earlier))[CPU]
    assert row.noise is not None
    assert row.verdict is Verdict(verdict), row.reason
