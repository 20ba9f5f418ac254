"""report/build.py and its renderers: what the Markdown, HTML and CSV files say, in which order."""

from __future__ import annotations

import base64
import csv
import re
from pathlib import Path

import pytest

from loadplan.errors import RunDirError
from loadplan.report.build import ReportFiles, write_report
from tests.report.support import RunSpec, write_run

PNG = b"\x89PNG\r\n\x1a\n"


def headings(md: str) -> list[str]:
    return [line.lstrip("#").strip() for line in md.splitlines() if line.startswith("## ")]


def test_the_verdict_table_comes_first_and_lists_every_row(full_report: ReportFiles) -> None:
    md = full_report.markdown.read_text()
    assert headings(md)[0] == "SLA verdict"
    assert md.index("SLA verdict") < md.index("## Summary")
    # The same count as the terminal's: judged objectives, not every row.
    assert "FAIL: 2 of 3 objectives did not hold. 1 more row is reported, not judged." in md
    assert "| p99 latency | spike | <= 15 ms | 20.0 ms | FAIL |" in md
    assert "| p95 latency | run | <= 300 ms | 20.0 ms | PASS |" in md
    assert "| cache flush | spike | reported | 1,000 keys flushed | ? |" in md
    assert md.startswith("# Load test results\n\nCommand: `loadplan run --url")
    # The stages the plan asked for, not its [load] section.
    assert (
        "Plan (uniform arrivals): baseline 60/s for 3 s · spike 60/s x2 for 1 s, 1 s to recover"
        in md
    )
    assert "Rebuild this report: `loadplan report " in md


def test_sections_in_reading_order(full_report: ReportFiles) -> None:
    assert headings(full_report.markdown.read_text()) == [
        "SLA verdict", "Summary", "Latency over time", "Offered vs achieved rate", "Errors",
        "Stages", "Latency percentile spectrum", "Per-tag breakdown", "Cache hit rate",
        "Target CPU and memory", "Generator health", "Exported data",
    ]  # fmt: skip


def test_per_stage_sections_and_tag_tables(full_report: ReportFiles) -> None:
    md = full_report.markdown.read_text()
    assert "### Stage baseline" in md
    assert "### Stage spike" in md
    assert "3-5 s · 240 requests · errors 2.50 % (http_5xx 6)" in md
    for name in ("bucket", "lang", "x-cache"):
        assert f"### By {name}" in md
    assert re.search(r"\| ja \| 140 \| 33\.33 % \| 0 \| 2\.00 \| 20\.0 \|", md)
    assert "Whole run, from the `x-cache` header: 50.00 % hits." in md


def test_every_plot_is_a_png_file_linked_from_the_markdown(full_report: ReportFiles) -> None:
    md = full_report.markdown.read_text()
    names = sorted(p.name for p in full_report.plots)
    assert names == sorted(
        ["latency.png", "rates.png", "errors.png", "spectrum.png", "tag-bucket.png",
         "tag-lang.png", "tag-x-cache.png", "cache.png", "target.png", "generator.png"]
    )  # fmt: skip
    for path in full_report.plots:
        assert path.read_bytes().startswith(PNG)
        assert f"](plots/{path.name})" in md


def test_the_html_is_self_contained(full_report: ReportFiles) -> None:
    page = full_report.html.read_text()
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(full_report.plots)
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    assert page.index('id="sla-verdict"') < page.index('id="summary"')
    assert '<td class="fail">FAIL</td>' in page


def test_csv_per_second_per_stage_per_tag(full_report: ReportFiles) -> None:
    out = full_report.out_dir

    def rows(name: str) -> list[dict[str, str]]:
        with (out / name).open() as f:
            return list(csv.DictReader(f))

    seconds = rows("seconds.csv")
    assert [r["stage"] for r in seconds] == ["baseline"] * 3 + ["spike"] * 2
    assert seconds[3]["outcome_http_5xx"] == "6"
    assert float(seconds[3]["offered_rps"]) == pytest.approx(120)
    stages = rows("stages.csv")
    assert [(r["stage"], r["due"], r["failed"]) for r in stages] == [
        ("baseline", "180", "0"),
        ("spike", "240", "6"),
    ]
    assert float(stages[0]["p99_ms"]) == pytest.approx(20.0, rel=0.01)
    tags = {(r["tag"], r["value"]): r for r in rows("tags.csv")}
    assert tags["lang", "ja"]["count"] == "140"
    assert float(tags["x-cache", "HIT"]["max_ms"]) < float(tags["x-cache", "MISS"]["p50_ms"])


def test_a_partial_generator_bound_run_says_so_loudly(bare_report: ReportFiles) -> None:
    md = bare_report.markdown.read_text()
    assert bare_report.partial is True
    first_lines = md.split("## SLA verdict")[0]
    assert "PARTIAL RUN (killed (no summary.json))" in first_lines
    assert "**⚠️ GENERATOR-BOUND: these numbers describe the load generator" in first_lines
    assert "No SLA objectives in this plan" in md
    assert "Not scraped: this run collected no target metrics" in md
    assert "No tags were recorded." in md
    assert "No cache status was recorded" in md
    page = bare_report.html.read_text()
    assert page.count('class="alert danger"') == 2  # at the top and in Generator health
    names = sorted(p.name for p in bare_report.plots)
    assert names == ["errors.png", "generator.png", "latency.png", "rates.png", "spectrum.png"]


def test_a_run_without_a_complete_second_has_nothing_to_report(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", RunSpec(stages=(), killed=True))
    with pytest.raises(RunDirError, match="no complete second"):
        write_report(run)
