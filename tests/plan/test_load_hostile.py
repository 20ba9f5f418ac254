"""Hostile plan files: any bytes, and well-formed plans with a hostile value in one field, end in
a Plan (whose stages can be built) or in one line per problem naming plan.toml and its line."""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loadplan.errors import PlanError
from loadplan.plan.load import load_plan
from loadplan.plan.scenario import Scenario
from loadplan.plan.source import format_field
from tests.support.hostile import check_problems, line_count


@pytest.fixture(scope="module")
def plan_path() -> Iterator[Path]:
    # One file, rewritten by every example: hypothesis runs many examples per test, and a
    # function-scoped tmp_path would be shared by them anyway.
    with tempfile.TemporaryDirectory() as d:
        yield Path(d) / "plan.toml"


def outcome(path: Path, data: bytes) -> PlanError | Scenario:
    """Load the plan and build its stages (where a finite-but-absurd value would show)."""
    path.write_bytes(data)
    try:
        plan, _ = load_plan(path, {})
        scenario = Scenario.from_plan(plan)
    except PlanError as exc:
        check_problems(exc, str(path), line_count(data), fix=False)
        return exc
    assert math.isfinite(scenario.duration_s)
    return scenario


# --- any bytes -----------------------------------------------------------------------------------

TOMLISH = st.text(alphabet="[]{}=\"'.,#\n\t -_:+0123456789abcdefinrstu\u2028\x85\\", max_size=200)


@given(st.one_of(st.binary(max_size=300), TOMLISH.map(str.encode)))
@example(b"\xff\xfe[load]")
@example(b"[target]\nurl = 'http://a'\n[load]\nrate = " + b"1" * 5000)
def test_any_bytes_give_a_plan_or_one_line_per_problem(plan_path: Path, data: bytes) -> None:
    outcome(plan_path, data)


# --- a hostile value in one field of a good plan -----------------------------------------------

FIELDS: tuple[tuple[str | int, ...], ...] = (
    ("target", "url"),
    ("load", "rate"),
    ("load", "duration"),
    ("load", "mode"),
    ("load", "workers"),
    ("load", "seed"),
    ("load", "arrivals"),
    ("client", "connections"),
    ("client", "timeout"),
    ("client", "capture_header"),
    ("output", "metrics_port"),
    ("slo", "p95"),
    ("slo", "error_rate"),
    ("suite", "spike_factor"),
    ("scrape", "urls"),
    ("admin", "headers"),
    ("workload", "seed"),
    ("stages", 0, "type"),
    ("stages", 0, "from"),
    ("stages", 0, "to"),
    ("stages", 0, "step"),
    ("stages", 0, "step_duration"),
    ("stages", 0, "name"),
    ("stages", 0, "oops"),
)

SCALARS = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # inf, nan, 1e308, -0.0, subnormals
    st.text(max_size=40),
    st.text(alphabet="0123456789.smhµu ", max_size=12),  # duration-like
    st.sampled_from(["inf", "nan", "-1s", "1e999", "0.1%"]),
    st.integers(300, 5000).map(lambda n: "1" * n + "h"),
    st.integers(300, 5000).map(lambda n: "x" * n),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_value(value: Any) -> str:
    """The TOML for ``value`` (test data only: tomllib reads it back as ``value``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        out = "".join(
            f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F or c in '"\\' else c
            for c in value
        )
        return f'"{out}"'
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


BASE: dict[str, dict[str, Any]] = {
    "target": {"url": "http://127.0.0.1:9"},
    "load": {"rate": 100, "duration": "10s"},
    "client": {"connections": 4},
    "output": {},
    "slo": {"p95": "300ms"},
    "suite": {},
    "scrape": {},
    "admin": {},
    "workload": {},
}
STAGE: dict[str, Any] = {
    "name": "stairs",
    "type": "step",
    "from": 10,
    "to": 50,
    "step": 10,
    "step_duration": "1s",
}
COMMENT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=20)
"""Comment text: U+2028, U+0085's neighbours and other line-like characters TOML allows."""


def render(
    field: tuple[str | int, ...], value: Any, comments: list[str], note: str
) -> tuple[str, int]:
    """A plan with ``field = value``, comments between the lines and a multi-line string in
    ``output.dir`` that looks like tables; returns its text and the line ``field`` is on."""
    tables = {name: dict(keys) for name, keys in BASE.items()}
    stage = dict(STAGE)
    if field[0] == "stages":
        stage[str(field[2])] = value
    else:
        tables[str(field[0])][str(field[1])] = value
    text, found = "", 0

    def add(line: str, path: tuple[str | int, ...] = ()) -> None:
        nonlocal text, found
        if path == field:
            found = text.count("\n") + 1
        text += line + "\n"

    for i, (name, keys) in enumerate(tables.items()):
        add(f"# {comments[i % len(comments)]}" if comments else "")
        add(f"[{name}]")
        if name == "output":
            add(f"dir = '''\n{note}\n'''")
        for key, v in keys.items():
            add(f"{toml_key(key)} = {toml_value(v)}", (name, key))
    add("[[stages]]")
    for key, v in stage.items():
        add(f"{toml_key(key)} = {toml_value(v)}", ("stages", 0, key))
    assert found
    return text, found


NOTE = st.lists(
    st.sampled_from(["[load]", "rate = 0", "[[stages]]", "connections = -1", "x"]), max_size=4
).map("\n".join)


@given(
    field=st.sampled_from(FIELDS),
    value=VALUES,
    comments=st.lists(COMMENT, max_size=3),
    note=NOTE,
)
def test_a_hostile_value_is_refused_on_its_own_line(
    plan_path: Path, field: tuple[str | int, ...], value: Any, comments: list[str], note: str
) -> None:
    text, line = render(field, value, comments, note)
    result = outcome(plan_path, text.encode())
    if isinstance(result, PlanError):
        shown = format_field(field)
        for problem in result.problems:
            where, _, what = problem.partition(" ")
            if what.startswith((f"{shown} ", f"{shown}:", f"{shown}.", f"{shown}[")):
                assert where == f"{plan_path}:{line}", (problem, text)


def test_the_rendered_plan_reads_back() -> None:
    """The renderer itself: the base plan loads, so a refusal is the hostile value's doing."""
    text, line = render(("load", "rate"), 100, ["a\u2028b"], "[load]\nrate = 0")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plan.toml"
        assert isinstance(outcome(path, text.encode()), Scenario)
        assert text.split("\n")[line - 1] == "rate = 100"


# --- the cases the properties found ----------------------------------------------------------

DUR = '[target]\nurl = "http://127.0.0.1:9"\n[load]\nrate = 1\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # tomllib raised a bare ValueError (int() refuses > 4300 digits): a traceback.
        (
            DUR + "seed = " + "1" * 5000 + "\n",
            ":5: a number with thousands of digits; write one that fits in a float",
        ),
        # float(int) raised OverflowError inside a pydantic validator: a traceback.
        (DUR + "duration = " + "1" * 400 + "\n", ":5 load.duration = 1111"),
        # inf passed gt=0: a plan for an infinite rate, or Scenario's bare ValueError.
        (DUR.replace("rate = 1", "rate = inf"), ":4 load.rate = inf: Input should be a finite"),
        (DUR + 'duration = "inf"\n', ":5 load.duration = inf: Input should be a finite number"),
        # The staircase was built before its length was checked: to = 1e300 ate all memory.
        (
            DUR + "[[stages]]\ntype = 'step'\nfrom = 1\nto = 1e300\nstep = 1\nstep_duration = 1\n",
            ":9 stages[0].step: 1e+300 steps; at most 1000: raise step or lower to",
        ),
        # U+2028 in a comment: str.splitlines counted it as a line end, naming line 7.
        (
            DUR + "# a\u2028b\n[client]\nconnections = 0\n",
            ":7 client.connections = 0: Input should be greater than or equal to 1",
        ),
        # Lines of a multi-line string were read as tables: "[client]" inside it named line 7.
        (
            DUR
            + '[output]\ndir = """\n[client]\nconnections = 5\n"""\n[client]\nconnections = 0\n',
            ":11 client.connections = 0: Input should be greater than or equal to 1",
        ),
        # A 100,000-character value was quoted whole in the message.
        (DUR + 'mode = "' + "x" * 100_000 + '"\n', ":5 load.mode = 'xxxxxxxxxx"),
        # Accepted, then the pool's .encode("latin-1") raised at the run's start.
        (DUR + "[client]\ncapture_header = 'Ж'\n", ":6 client.capture_header = 'Ж': not a header"),
        # Accepted, then urllib refused the header mid-run, at the cache flush.
        (
            DUR + '[admin]\nheaders = { X-Token = "a\\r\\nb" }\n',
            ":6 admin.headers: header X-Token has a line break or NUL in its value; remove it",
        ),
        # tomllib's "(at line N, column M)" is now where every other problem's line is.
        (DUR + "rate = \n", ":5: not valid TOML: Invalid value at column 8; fix the TOML there"),
        # Not UTF-8: the message had no line and quoted the codec's wording.
        (DUR.encode().decode() + "# \udcff\n", ":5: not UTF-8 (byte 0xff); save the plan as UTF-8"),
    ],
    ids=[
        "int-over-4300-digits",
        "duration-int-past-1e308",
        "rate-inf",
        "duration-inf-string",
        "staircase-1e300-steps",
        "u2028-in-a-comment",
        "table-inside-multiline-string",
        "100k-value",
        "capture-header-not-latin1",
        "admin-header-crlf",
        "toml-syntax-line",
        "not-utf8",
    ],
)
def test_found_cases(plan_path: Path, text: str, expected: str) -> None:
    data = text.encode("utf-8", errors="surrogateescape")
    result = outcome(plan_path, data)
    assert isinstance(result, PlanError)
    assert len(result.problems) == 1
    assert result.problems[0].startswith(str(plan_path) + expected)
