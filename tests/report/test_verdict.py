"""report/verdict.py: the verdict read back from summary.json, and the bounds for the plots."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.errors import RunDirError
from loadplan.report.verdict import latency_bounds, read_verdict
from loadplan.verdict import VerdictRow, decide

ROWS = [
    VerdictRow("p95 latency", "sustained", "<= 300 ms", "212.4 ms", True, 212.4, 300.0),
    VerdictRow("p99 latency", "sustained", "<= 500 ms", "no data", False, None, 500.0),
    VerdictRow("p95 drift", "soak", "<= 30 ms rise", "+2.0 ms over 8 windows", True, 2.0, 30.0),
    VerdictRow("error rate", "run", "<= 0.100%", "0.000%", True, 0.0, 0.001),
    VerdictRow("cache flush", "cache-cold", "reported", "flushed", None),
]


def test_no_verdict_key_means_no_objectives() -> None:
    assert read_verdict({"complete": True}) is None


def test_the_verdict_reads_back_exactly_as_the_suite_wrote_it() -> None:
    written = decide(ROWS, inconclusive=["generator-bound"])
    read = read_verdict({"verdict": written.to_json()})
    assert read == written
    assert read is not None
    assert [r.objective for r in read.judged] == [r.objective for r in ROWS[:4]]
    assert read.rows_of("sustained") == tuple(ROWS[:2])


def test_latency_bounds_come_from_latency_objectives_only() -> None:
    verdict = decide(ROWS)
    got = [(b.percentile, b.bound_ms) for b in latency_bounds(verdict)]
    assert got == [(95.0, 300.0), (99.0, 500.0)]  # not the drift's 30 ms, not the error rate


@pytest.mark.parametrize(
    ("verdict", "says"),
    [
        pytest.param("garbage", "a table with a list of rows", id="not-a-table"),
        pytest.param({"pass": True}, "a table with a list of rows", id="no-rows"),
        pytest.param({"pass": "yes", "rows": []}, "pass must be true, false or null", id="pass"),
        pytest.param(
            {"pass": None, "rows": [{"objective": "p95 latency", "stage": "run"}]},
            "'p95 latency': bound must be text",
            id="row-field",
        ),
        pytest.param(
            {"pass": True, "rows": [{**ROWS[0].to_json(), "limit": "300"}]},
            "limit must be a number or null",
            id="row-number",
        ),
    ],
)
def test_a_damaged_verdict_is_one_clear_error_naming_the_file_and_field(
    verdict: Any, says: str
) -> None:
    with pytest.raises(RunDirError) as caught:
        read_verdict({"verdict": verdict}, "runs/x/summary.json")
    assert str(caught.value).startswith("runs/x/summary.json: verdict: ")
    assert says in str(caught.value)
