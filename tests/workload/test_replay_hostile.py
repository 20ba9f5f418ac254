"""Hostile access logs (Common/Combined and JSON lines): any bytes end in records every request
and every due time can be built from, or in one line naming the file, its line and the fix."""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loadplan.errors import PlanError
from loadplan.workload.replay import LogRecords, log_table, read_log
from tests.support.hostile import check_problems, line_count


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def outcome(path: Path, data: bytes, *, strict: bool, need_times: bool) -> LogRecords | PlanError:
    path.write_bytes(data)
    try:
        records = read_log(path, strict=strict, need_times=need_times)
    except PlanError as exc:
        check_problems(exc, str(path), line_count(data))
        return exc
    check_records(records, str(path), line_count(data))
    return records


def check_records(records: LogRecords, name: str, lines: int) -> None:
    """What the request encoder and the replay's scheduler rely on."""
    for method in records.methods:
        assert re.fullmatch(r"[A-Z]{3,10}", method), method
    for target in records.targets:
        assert target.startswith("/")
        assert re.fullmatch(r"[\x21-\x7e]+", target), target  # one token on the request line
    assert all(1 <= n <= lines for n in records.lines)
    if records.times is not None:
        assert np.isfinite(records.times).all()
        offsets = records.offsets(2.0)
        assert np.isfinite(offsets).all()
        assert (offsets >= 0).all()
    warning = records.warning()
    if warning is not None:
        assert warning.splitlines() == [warning]
        assert warning.startswith(name)
        assert len(warning) < len(name) * 2 + 400
    log_table(records)


CLF = '{ip} - {user} [{time}] "{request}" {status} {size} "-" "agent"'
TIMES = st.one_of(
    st.sampled_from(
        [
            "10/Oct/2000:13:55:36 -0700",
            "31/Dec/9999:23:59:59 -2359",
            "01/Jan/0001:00:00:00 +2359",
            "31/Feb/2020:00:00:00 +0000",
            "10/Foo/2000:13:55:36 -0700",
            "99/Oct/2000:99:99:99 +9999",
            "",
        ]
    ),
    st.text(max_size=30),
)
REQUESTS = st.one_of(
    st.builds(
        lambda m, t, v: f"{m} {t} {v}",
        st.sampled_from(["GET", "get", "POST", "GET\\n", "X" * 11, "", "-"]),
        st.sampled_from(["/", "/a?q=%E6%97%A5", "http://[::1", "https://h/p?q=1", "*", "/a b"]),
        st.sampled_from(["HTTP/1.1", "HTTP/1.0", "", "\\x16\\x03"]),
    ),
    st.text(max_size=30),
)
CLF_LINES = st.builds(
    CLF.format,
    ip=st.sampled_from(["127.0.0.1", "::1", "-", ""]),
    user=st.sampled_from(["-", '"quoted user"', "frank"]),
    time=TIMES,
    request=REQUESTS,
    status=st.sampled_from(["200", "-", "999", "2000", "x"]),
    size=st.sampled_from(["0", "-", "1" * 400]),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["/a", "http://h/x?q=1", "/\ud800", "GET", "GET\n", "2024-01-01T00:00:00",
                     "9999-12-31T23:59:59-23:00", "10/Oct/2000:13:55:36 -0700"]),
)  # fmt: skip
JSON_LINES = st.fixed_dictionaries(
    {},
    optional={"url": JSON_SCALARS, "method": JSON_SCALARS, "timestamp": JSON_SCALARS},
).map(json.dumps)
ENDS = st.sampled_from(["\n", "\r\n", "\r", "\x0c", "\u2028", "\x85"])


@given(
    lines=st.lists(
        st.tuples(st.one_of(CLF_LINES, JSON_LINES, st.text(max_size=20)), ENDS), max_size=6
    ),
    suffix=st.sampled_from([".log", ".jsonl"]),
    strict=st.booleans(),
    need_times=st.booleans(),
)
@example(
    lines=[('{"url": "/a", "timestamp": ' + "1" * 400 + "}", "\n")],
    suffix=".jsonl", strict=True, need_times=True,
)  # fmt: skip
@example(
    lines=[('{"url": "/a", "timestamp": NaN}', "\n")],
    suffix=".jsonl",
    strict=False,
    need_times=True,
)
def test_hostile_lines_give_usable_records_or_one_line(
    folder: Path, lines: list[tuple[str, str]], suffix: str, strict: bool, need_times: bool
) -> None:
    data = "".join(text + end for text, end in lines).encode("utf-8", errors="surrogatepass")
    outcome(folder / f"access{suffix}", data, strict=strict, need_times=need_times)


@given(data=st.binary(max_size=300), strict=st.booleans(), need_times=st.booleans())
def test_any_bytes_give_usable_records_or_one_line(
    folder: Path, data: bytes, strict: bool, need_times: bool
) -> None:
    outcome(folder / "bytes.log", data, strict=strict, need_times=need_times)


GOOD = '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a?q={q} HTTP/1.1" 200 1'


@given(
    queries=st.lists(
        st.builds(
            lambda a, sep: f"{a}{sep}",
            st.text(st.characters(exclude_categories=["Cc", "Cs", "Zs"], exclude_characters='"\\')),
            st.sampled_from(["\u2028", "\u2029", "\x85", ""]),
        ),
        max_size=6,
    )
)  # fmt: skip
def test_a_bad_line_is_named_by_its_own_line(folder: Path, queries: list[str]) -> None:
    # A target with raw U+2028 or U+0085 in it (nginx logs raw UTF-8) is one line, not two.
    lines = [GOOD.format(q=q) for q in queries] + ["\x00 binary probe"]
    path = folder / "lines.log"
    result = outcome(path, "\n".join(lines).encode(), strict=True, need_times=True)
    assert isinstance(result, PlanError)
    assert result.problems[0].startswith(f"{path}:{len(lines)}: not a Common/Combined"), result


# --- the cases the properties found ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # float(int) raised OverflowError out of read_log: a traceback.
        (
            "a.jsonl",
            '{"url": "/a", "timestamp": ' + "1" * 400 + "}\n",
            (":1: timestamp 1111111111111111111111111111111111111111111111111111111...11 is not "
            "a time in years 1-9999 (seconds since 1970); fix the line"),
        ),
        # NaN and Infinity were accepted: a timing replay with due times of nan or inf.
        ("a.jsonl", '{"url": "/a", "timestamp": NaN}\n', ":1: timestamp nan is not a time"),
        ("a.jsonl", '{"url": "/a", "timestamp": Infinity}\n', ":1: timestamp inf is not a time"),
        # RecursionError from json.loads: a traceback.
        ("a.jsonl", "[" * 100_000 + "\n", ":1: JSON too big to read"),
        # "GET\n" passed the method check ("$" matches before a final newline).
        (
            "a.jsonl",
            '{"url": "/a", "method": "GET\\n", "timestamp": 1}\n',
            ":1: method 'GET\\n' is not an HTTP",
        ),
        # The codec's "can't encode character '\ud800'", or urllib's "Invalid IPv6 URL".
        (
            "a.jsonl",
            '{"url": "/a\\ud800", "timestamp": 1}\n',
            ":1: target '/a\\ud800' is not a path",
        ),
        ("a.log", '1 - - [01/Jan/2000:00:00:00 +0000] "GET http://[::1 HTTP/1.1" 200 1\n',
         ":1: target 'http://[::1' is not a path"),
        # A form feed counted as a line end: the binary probe was named as line 3.
        ("a.log", '1 - - [01/Jan/2000:00:00:00 +0000] "GET / HTTP/1.1" 200 1\x0cx\n\x00\n',
         ":2: not a Common/Combined Log Format line"),
    ],
    ids=[
        "timestamp-int-past-1e308",
        "timestamp-nan",
        "timestamp-infinity",
        "deep-nesting",
        "method-with-newline",
        "lone-surrogate-target",
        "bad-ipv6-host",
        "form-feed-line-count",
    ],
)  # fmt: skip
def test_found_cases(folder: Path, name: str, content: str, expected: str) -> None:
    path = folder / name
    result = outcome(path, content.encode(), strict=True, need_times=True)
    assert isinstance(result, PlanError)
    assert result.problems[0].startswith(f"{path}{expected}"), result.problems[0]


def test_offsets_of_accepted_times_are_finite(folder: Path) -> None:
    text = '{"url": "/a", "timestamp": 1e10}\n{"url": "/b", "timestamp": "0001-01-02T00:00:00"}\n'
    result = outcome(folder / "t.jsonl", text.encode(), strict=True, need_times=True)
    assert isinstance(result, LogRecords)
    assert math.isfinite(float(result.offsets().max()))
