from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.errors import PlanError
from loadplan.plan.load import load_plan
from loadplan.plan.model import Mode


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
[target]
url = "http://127.0.0.1:8080"

[load]
rate = 500
duration = "30s"

[workload.template]
path = "/search?q=hello"
"""


def test_good_plan_and_cli_override(tmp_path: Path) -> None:
    plan, _ = load_plan(write(tmp_path, GOOD), {("load", "rate"): ("--rate", 50)})
    assert plan.load.rate == 50
    assert plan.load.duration == 30.0
    assert plan.load.mode is Mode.OPEN
    assert plan.workload.template.path == "/search?q=hello"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("rate = 500", "rate = -5"), "plan.toml:5 load.rate = -5:"),
        (GOOD.replace('"30s"', '"30 parsecs"'), "plan.toml:6 load.duration = '30 parsecs':"),
        (GOOD.replace("rate = 500", "rat = 500"), "plan.toml:5 load.rat: unknown field"),
        (GOOD.replace('path = "/search', 'path = "search'), "plan.toml:9 workload.template.path"),
        (GOOD.replace("[target]\n", "[target]\nurl2 = 1\n"), "plan.toml:2 target.url2"),
        (GOOD + "[load.oops\n", "not valid TOML"),
    ],
    ids=["negative-rate", "bad-duration", "typo", "relative-path", "unknown-key", "syntax"],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, text), {})
    assert any(expected in line for line in info.value.problems), info.value.problems


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("rate = 500", "rate = -5").replace('"30s"', '"soon"')
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, text), {})
    assert len(info.value.problems) == 2


def test_missing_url_without_a_file_names_the_option() -> None:
    with pytest.raises(PlanError, match="pass --url"):
        load_plan(None, {("load", "rate"): ("--rate", 5)})


def test_bad_cli_value_names_the_option() -> None:
    with pytest.raises(PlanError, match="--rate -1"):
        load_plan(
            None, {("target", "url"): ("--url", "http://x"), ("load", "rate"): ("--rate", -1)}
        )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "nope.toml", {})
