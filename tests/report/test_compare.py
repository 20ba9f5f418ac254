"""The comparison's report and terminal lines, from a comparison of synthetic seconds."""

from __future__ import annotations

from pathlib import Path

from loadplan.analysis.compare.gate import decide, parse_fail_on
from loadplan.analysis.compare.runs import Comparison, Row
from loadplan.analysis.compare.samples import group_seconds
from loadplan.analysis.compare.stats import Figure, differences
from loadplan.report.compare import per_second, terminal_lines, write_comparison
from tests.analysis.compare.test_stats import run_seconds


def comparison(scale: float) -> Comparison:
    base, new = group_seconds(run_seconds(1)), group_seconds(run_seconds(2, scale=scale))
    thresholds = parse_fail_on(())
    rows = []
    for key in sorted(base):
        diffs = differences(base[key], new[key])
        for figure in (Figure.P95, Figure.P99):
            seconds = (base[key].seconds, new[key].seconds)
            verdict, reason = decide(diffs[figure], thresholds[figure], seconds)
            rows.append(Row(key[0], key[1], diffs[figure], thresholds[figure], verdict, reason))
    return Comparison("runs/a", "runs/b", tuple(rows), ("target.url: 'x' vs 'y'",), (), 0.95,
                      base_groups=base, new_groups=new)  # fmt: skip


def test_terminal_lines_end_with_the_headline() -> None:
    lines = terminal_lines(comparison(1.3))
    assert lines[0] == "warning: target.url: 'x' vs 'y'"
    assert lines[-1].startswith("REGRESSED (exit 1): sustained p95, sustained p99")
    assert terminal_lines(comparison(1.0))[-1] == "NO REGRESSION (exit 0)"


def test_the_report_has_both_tables_and_plots(tmp_path: Path) -> None:
    md, page = write_comparison(comparison(1.3), tmp_path)
    text = md.read_text(encoding="utf-8")
    assert "## Per stage" in text
    assert "## Per tag" in text
    assert "| sustained [lang=ja] | p99 |" in text
    assert (tmp_path / "plots" / "compare-latency.png").stat().st_size > 0
    assert (tmp_path / "plots" / "compare-tags.png").stat().st_size > 0
    assert "REGRESSED (exit 1)" in page.read_text(encoding="utf-8")


def test_per_second_figures_are_each_second_s_own() -> None:
    seconds = run_seconds(5, seconds=300)  # more than one chunk of seconds
    group = group_seconds(seconds)[("sustained", "")]
    p99 = per_second(group, Figure.P99)
    assert len(p99) == 300
    assert p99[257] == seconds[257].latency.get_value_at_percentile(99) / 1000
