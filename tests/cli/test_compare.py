"""``loadplan compare BASE NEW`` through the real entry point, on run directories with the target
scraped: the scraped rows, their exit codes and the note when a run did not scrape."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.cli import main
from tests.analysis.compare.rundirs import RunDir, write_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compare-scraped")
    specs = {
        "base": RunDir(1),
        "same": RunDir(2),
        "cpu+30%": RunDir(2, cpu_ms=2.6),
        "unscraped": RunDir(2, cpu_ms=None),
    }
    return {name: write_run(root / name.replace("%", "pc"), spec) for name, spec in specs.items()}


def loadplan(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[str], str]:
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out.splitlines(), err


def row_of(lines: list[str], figure: str) -> str:
    (line,) = [line for line in lines if line.split()[1:2] == [figure]]
    return line


def test_both_scraped_prints_the_rows_and_passes(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, lines, err = loadplan(capsys, "compare", runs["base"], runs["same"], "--out", tmp_path)
    assert code == 0, "\n".join(lines) + err
    assert lines[-2] == "NO REGRESSION (exit 0)"
    assert row_of(lines, "cpu_per_request").startswith("sustained  cpu_per_request ")
    assert "NO CHANGE" in row_of(lines, "cpu_per_request")
    assert "NO CHANGE" in row_of(lines, "target_hit_rate")
    assert not any(line.startswith("note:") for line in lines)
    md = (tmp_path / "comparison.md").read_text(encoding="utf-8")
    assert "| sustained | cpu_per_request |" in md
    assert "| sustained | target_hit_rate |" in md
    assert "from its scraped counters" in md
    page = (tmp_path / "comparison.html").read_text(encoding="utf-8")
    assert "cpu_per_request" in page


def test_cpu_per_request_up_30_percent_is_shown_not_gated_by_default(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = loadplan(capsys, "compare", runs["base"], runs["cpu+30%"])
    assert code == 0, "\n".join(lines) + err
    cpu = row_of(lines, "cpu_per_request")
    assert "REGRESSED: past +25%, interval clear of no change" in cpu
    assert " ms -> " in cpu


def test_cpu_per_request_up_30_percent_fails_the_gate_when_named(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = loadplan(
        capsys, "compare", runs["base"], runs["cpu+30%"], "--fail-on", "cpu=+25%"
    )
    assert code == 1, "\n".join(lines) + err
    assert lines[-1] == "REGRESSED (exit 1): sustained cpu_per_request"


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        pytest.param("cpu_per_request=off", 0, id="off"),
        pytest.param("cpu=+50%", 0, id="loosened-past-the-change"),
        pytest.param("cpu=+20%", 1, id="still-past"),
    ],
)
def test_fail_on_sets_the_cpu_threshold(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str], fail_on: str, code: int
) -> None:
    got, lines, err = loadplan(
        capsys, "compare", runs["base"], runs["cpu+30%"], "--fail-on", fail_on
    )
    assert got == code, "\n".join(lines) + err


def test_one_run_unscraped_has_no_scraped_row_a_note_and_the_same_exit(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = loadplan(capsys, "compare", runs["base"], runs["unscraped"])
    assert code == 0, "\n".join(lines) + err
    assert err == ""
    why = "new run: no target_metrics.jsonl (the run scraped nothing)"
    assert lines[:2] == [
        f"note: cpu_per_request not compared: {why}",
        f"note: target_hit_rate not compared: {why}",
    ]
    assert not any("cpu_per_request" in line or "target_hit_rate" in line for line in lines[2:])
    assert lines[-1] == "NO REGRESSION (exit 0)"
    # Against the scraped twin of the same seconds: the same exit code.
    assert loadplan(capsys, "compare", runs["base"], runs["same"])[0] == code


def test_a_threshold_the_wrong_way_is_one_line_and_exit_2(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = loadplan(
        capsys, "compare", runs["base"], runs["same"], "--fail-on", "target_hit_rate=+2"
    )
    assert code == 2
    assert lines == []
    wanted = (
        "loadplan: error: --fail-on 'target_hit_rate=+2': target_hit_rate gets worse by going -; "
        "write target_hit_rate=-2"
    )
    assert err.splitlines() == [wanted]
