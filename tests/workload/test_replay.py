"""Access logs: Common / Combined / JSON lines, malformed lines, timing and the recorded mix."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from loadplan.errors import PlanError
from loadplan.workload.replay import arrival_offsets, log_table, read_log

from .conftest import WriteFile

COMMON = (
    '203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /search?q=a%20b&lang=en HTTP/1.0" 200 2326'
)
COMBINED = (
    '203.0.113.7 - frank [10/Oct/2000:13:55:38 -0700] "POST /api?q=x HTTP/1.1" 201 12 '
    '"http://example.com/start" "Mozilla/4.08 [en] (Win98; I ;Nav)" rt=0.012'
)
T0 = datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("name", "lines", "methods", "targets", "times"),
    [
        pytest.param(
            "access.log",
            [COMMON, COMBINED],
            ["GET", "POST"],
            ["/search?q=a%20b&lang=en", "/api?q=x"],
            [T0, T0 + 2],
            id="common-and-combined",
        ),
        pytest.param(
            "access.log",
            [
                (
                    '1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "get http://host:8080/p?q=1 '
                    'HTTP/1.1" '
                    "200 -"
                )
            ],
            ["GET"],
            ["/p?q=1"],
            [1704067200.0],
            id="absolute-url-lowercase-method-no-size",
        ),
        pytest.param(
            "access.log",
            ['1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /s?q=日本 HTTP/1.1" 200 5'],
            ["GET"],
            ["/s?q=%E6%97%A5%E6%9C%AC"],
            [1704067200.0],
            id="raw-utf8-is-encoded",
        ),
        pytest.param(
            "log.jsonl",
            [
                '{"timestamp": "2024-01-01T00:00:01Z", "url": "/s?q=a", "method": "GET"}',
                '{"timestamp": 1704067200.5, "url": "https://h/s?q=b"}',
                '{"timestamp": "2024-01-01T00:00:02", "url": "/s?q=c", "method": "post"}',
            ],
            ["GET", "GET", "POST"],
            ["/s?q=a", "/s?q=b", "/s?q=c"],
            [1704067201.0, 1704067200.5, 1704067202.0],
            id="jsonl-iso-epoch-naive",
        ),
        pytest.param(
            "log.txt",
            ['{"timestamp": "10/Oct/2000:13:55:36 -0700", "url": "/x"}'],
            ["GET"],
            ["/x"],
            [T0],
            id="jsonl-sniffed-clf-time",
        ),
    ],
)
def test_reads(
    write_file: WriteFile,
    name: str,
    lines: list[str],
    methods: list[str],
    targets: list[str],
    times: list[float],
) -> None:
    records = read_log(write_file(name, "\n".join(lines) + "\n"), need_times=True)
    assert list(records.methods) == methods
    assert list(records.targets) == targets
    assert records.times is not None
    np.testing.assert_allclose(records.times, times)
    assert records.skipped == 0
    assert records.warning() is None


def test_times_are_parsed_only_when_needed(write_file: WriteFile) -> None:
    path = write_file("a.log", '1.2.3.4 - - [bad time] "GET /x HTTP/1.1" 200 1\n')
    assert read_log(path).targets == ("/x",)
    with pytest.raises(PlanError, match=r"a.log:1: time 'bad time' is not like"):
        read_log(path, need_times=True, strict=True)


BAD_LINES = [
    pytest.param(
        '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "-" 400 0',
        "request '-' is not",
        id="dash-request",
    ),
    pytest.param("garbage", "not a Common/Combined Log Format line", id="garbage"),
    pytest.param(
        '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET * HTTP/1.1" 200 0',
        "target '*' is not a path",
        id="asterisk",
    ),
    pytest.param(
        '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\\x16\\x03 / HTTP/1.1" 400 0',
        "is not an HTTP method",
        id="tls-probe",
    ),
]


@pytest.mark.parametrize(("line", "why"), BAD_LINES)
def test_malformed_lines_are_skipped_and_summed_up(
    write_file: WriteFile, line: str, why: str
) -> None:
    path = write_file("a.log", f"{COMMON}\n{line}\n{COMMON}\n")
    records = read_log(path)
    assert len(records.targets) == 2
    assert records.skipped == 1
    warning = records.warning()
    assert warning is not None
    assert warning.startswith(f"{path}: skipped 1 of 3 lines")
    assert f"(first: {path}:2: " in warning
    assert why in warning
    assert warning.endswith("set source.strict = true to fail on them instead")


@pytest.mark.parametrize(("line", "why"), BAD_LINES)
def test_strict_fails_on_the_first_malformed_line(
    write_file: WriteFile, line: str, why: str
) -> None:
    path = write_file("a.log", f"{COMMON}\n\n{line}\n")
    with pytest.raises(PlanError) as caught:
        read_log(path, strict=True)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:3: ")
    assert why in problem
    assert problem.endswith("fix the line or set source.strict = false to skip it")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("", "no usable requests (it is empty)", id="empty"),
        pytest.param(
            "x\ny\n", "no usable requests (all 2 lines are malformed, first", id="all-bad"
        ),
    ],
)
def test_nothing_usable(write_file: WriteFile, content: str, expected: str) -> None:
    with pytest.raises(PlanError, match=re.escape(f"a.log: {expected}")):
        read_log(write_file("a.log", content))


@pytest.mark.parametrize(
    ("line", "kwargs", "why"),
    [
        pytest.param(
            '{"ts": 1, "path": "/x"}',
            {},
            "no 'url' string (fields: path, ts); set source.url_field",
            id="no-url",
        ),
        pytest.param(
            '{"url": "/x"}',
            {"need_times": True},
            "no 'timestamp' field; set source.timestamp_field",
            id="no-time",
        ),
        pytest.param(
            '{"url": "/x", "timestamp": [1]}',
            {"need_times": True},
            "timestamp [1] is neither",
            id="bad-time",
        ),
        pytest.param("[1, 2]", {}, "a JSON list, not an object", id="not-object"),
        pytest.param("{nope", {}, "not valid JSON", id="bad-json"),
    ],
)
def test_bad_json_lines(write_file: WriteFile, line: str, kwargs: dict, why: str) -> None:
    path = write_file("a.jsonl", line + "\n")
    with pytest.raises(PlanError, match=re.escape(f"a.jsonl:1: {why}")):
        read_log(path, strict=True, **kwargs)


def test_json_field_names_are_configurable(write_file: WriteFile) -> None:
    path = write_file("a.jsonl", '{"t": 5, "uri": "/x", "verb": "PUT"}\n')
    records = read_log(
        path, need_times=True, timestamp_field="t", url_field="uri", method_field="verb"
    )
    assert records.methods == ("PUT",)
    assert records.offsets(1.0).tolist() == [0.0]


def test_missing_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match=r"gone.log: no such access log; check source.path"):
        read_log(tmp_path / "gone.log")


@pytest.mark.parametrize(
    ("times", "speed", "expected"),
    [
        pytest.param([10.0, 11.0, 13.0], 1.0, [0.0, 1.0, 3.0], id="as-recorded"),
        pytest.param([10.0, 11.0, 13.0], 2.0, [0.0, 0.5, 1.5], id="twice-as-fast"),
        pytest.param([10.0, 11.0, 13.0], 0.5, [0.0, 2.0, 6.0], id="half-speed"),
        pytest.param([13.0, 10.0, 11.0], 1.0, [0.0, 1.0, 3.0], id="out-of-order-sorted"),
    ],
)
def test_arrival_offsets(times: list[float], speed: float, expected: list[float]) -> None:
    assert arrival_offsets(np.asarray(times), speed).tolist() == expected


def test_arrival_offsets_refuses_zero_speed() -> None:
    with pytest.raises(ValueError, match="speed = 0: must be > 0"):
        arrival_offsets(np.asarray([1.0]), 0)


def test_offsets_need_times(write_file: WriteFile) -> None:
    records = read_log(write_file("a.log", COMMON + "\n"))
    with pytest.raises(ValueError, match="read without timestamps"):
        records.offsets()


def test_log_table_counts_distinct_requests_in_time_order(write_file: WriteFile) -> None:
    lines = [
        '{"timestamp": 3, "url": "/s?q=b&lang=de"}',
        '{"timestamp": 1, "url": "/s?q=a%20x&lang=en"}',
        '{"timestamp": 2, "url": "/s?q=a%20x&lang=en"}',
        '{"timestamp": 4, "url": "/health", "method": "HEAD"}',
        '{"timestamp": 5, "url": "/s?q=c&lang=not%20a%20tag"}',
    ]
    records = read_log(write_file("a.jsonl", "\n".join(lines)), need_times=True)
    table, sequence = log_table(records)
    assert table.columns["target"] == (
        "/s?q=a%20x&lang=en",
        "/s?q=b&lang=de",
        "/health",
        "/s?q=c&lang=not%20a%20tag",
    )
    assert table.columns["query"] == ("a x", "b", "", "c")
    assert table.columns["path"] == ("/s", "/s", "/health", "/s")
    assert table.columns["method"] == ("GET", "GET", "HEAD", "GET")
    assert table.langs == ("en", "de", None, None)
    assert table.weights is not None
    assert table.weights.tolist() == [2.0, 1.0, 1.0, 1.0]
    assert table.lines == (2, 1, 4, 5)
    assert sequence.tolist() == [0, 0, 1, 2, 3]
