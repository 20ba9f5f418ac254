"""``loadplan workload inspect`` as a user runs it: a subprocess, its exit code and its lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workloads"


def inspect(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "loadplan", "workload", "inspect", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def lines(text: str) -> list[str]:
    return [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param(
            "plan-csv.toml",
            ["distinct requests 15", "en Latin 51.4% 5 weights", "5 49.0%"],
            id="csv-weights",
        ),
        pytest.param(
            "plan-text.toml",
            [
                "distinct requests 10",
                "en Latin 100.0% 10 1.200",
                "GET /search?q=weather tomorrow&lang=en",
            ],
            id="text-zipf",
        ),
        pytest.param(
            "plan-jsonl.toml",
            [
                "distinct requests 6",
                "ja CJK 20.0% 1 weights",
                "POST /api/search?q=天気 明日&lang=ja",
            ],
            id="jsonl-mix-post",
        ),
    ],
)
def test_example_plans(plan: str, expected: list[str]) -> None:
    result = inspect(EXAMPLES / plan, "--cache-size", "5", "--cache-size", "1000")
    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    for line in expected:
        assert line in out, "\n".join(out)
    assert "1,000 100.0%" in out


def test_log_replay_with_one_warning_for_skipped_lines() -> None:
    result = inspect(EXAMPLES / "plan-replay.toml")
    assert result.returncode == 0
    out = lines(result.stdout)
    assert "recorded timing 59 requests over 22.0 s (2.7 req/s)" in out
    assert "- - 1.7% 1 weights" in out
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("loadplan: warning: ")
    assert "access.log: skipped 1 of 60 lines that are not usable log lines" in warning
    assert "access.log:18: request '-' is not 'METHOD target HTTP/x'" in warning


def test_builtin_plan(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        "[load]\nrate = 50\n\n[workload]\nseed = 3\nlanguages = { en = 0.75, hi = 0.25 }\n"
        "[workload.source]\nkind = 'builtin'\npool_size = 1000\n",
        "utf-8",
    )
    result = inspect(plan, "--cache-size", "20", "--examples", "2")
    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    assert "source built-in pools (2 languages, 2,000 queries)" in out
    assert "distinct requests 2,000" in out
    assert "en Latin 75.0% 1,000 1.000" in out
    assert "hi Devanagari 25.0% 1,000 1.000" in out
    assert any(line.startswith("head 20 ") for line in out)
    assert len([line for line in out if line.startswith("GET /search?q=")]) == 2


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        pytest.param(
            {
                "plan.toml": "[workload]\nlanguages = { en = 1, xx = 1 }\n[workload.source]\nkind "
                "= 'builtin'\n"
            },
            ["plan.toml"],
            [
                (
                    "loadplan: error: plan.toml:2 workload.languages: unknown language 'xx': use "
                    "one "
                    "of ar, de, en, es, fr, hi, ja, pt, ru, zh"
                )
            ],
            id="unknown-language",
        ),
        pytest.param(
            {
                "plan.toml": "[workload]\nsed = 1\n[workload.source]\nkind = 'file'\npath = "
                "'q.txt'\nspeed = 2\n"
            },
            ["plan.toml"],
            [
                "loadplan: error: plan.toml:2 workload.sed: unknown field; check its spelling",
                (
                    "loadplan: error: plan.toml:6 workload.source.speed: unknown field; "
                    "check its spelling"
                ),
            ],
            id="two-problems-two-lines",
        ),
        pytest.param(
            {
                "plan.toml": "[workload.source]\nkind = 'file'\npath = 'q.csv'\n",
                "q.csv": "query,weight\na,1\nb,-3\n",
            },
            ["plan.toml"],
            [
                (
                    "loadplan: error: q.csv:3 weight = '-3': negative; weights are relative "
                    "popularity, write >= 0"
                )
            ],
            id="bad-csv-row",
        ),
        pytest.param(
            {"plan.toml": "[workload.source]\nkind = 'file'\npath = 'q.txt'\n", "q.txt": "\n\n"},
            ["plan.toml"],
            ["loadplan: error: q.txt: no queries; add one query per line"],
            id="empty-file",
        ),
        pytest.param(
            {"plan.toml": "[workload.source]\nkind = 'file'\npath = 'nope.jsonl'\n"},
            ["plan.toml"],
            [
                (
                    "loadplan: error: nope.jsonl: no such file; check source.path (relative to the "
                    "plan's directory)"
                )
            ],
            id="missing-data-file",
        ),
        pytest.param(
            {
                "plan.toml": "[workload.source]\nkind = 'log'\npath = 'a.log'\nstrict = true\n",
                "a.log": "garbage\n",
            },
            ["plan.toml"],
            [
                (
                    "loadplan: error: a.log:1: not a Common/Combined Log Format line; fix the "
                    "line or "
                    "set source.strict = false to skip it"
                )
            ],
            id="strict-log",
        ),
        pytest.param(
            {},
            ["missing.toml"],
            ["loadplan: error: missing.toml: no such plan file; pass the path of a TOML plan"],
            id="missing-plan",
        ),
        pytest.param(
            {"plan.toml": ""},
            ["plan.toml", "--cache-size", "0"],
            ["loadplan: error: --cache-size = 0: must be >= 1 (responses the cache holds)"],
            id="bad-cache-size",
        ),
    ],
)
def test_errors_exit_2_with_one_line_each(
    tmp_path: Path, files: dict[str, str], args: list[str], expected: list[str]
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(content, "utf-8")
    result = inspect(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert sorted(result.stderr.splitlines()) == sorted(expected)
    assert result.stdout == ""


def test_usage_error_exits_2() -> None:
    result = inspect()
    assert result.returncode == 2
    assert "Missing argument 'plan'" in result.stderr
