"""report/content.py: what the verdict section says."""

from __future__ import annotations

from loadplan.report.content import _tool_text, _verdict
from loadplan.report.document import Alert
from loadplan.verdict import VerdictRow, decide


def alerts(blocks: object) -> list[str]:
    return [b.text for b in blocks if isinstance(b, Alert)]  # type: ignore[attr-defined]


def test_an_inconclusive_verdict_says_why_even_without_rows() -> None:
    # e.g. an [slo] with only max_drift and no soak stage, in a generator-bound run
    verdict = decide([], ["generator-bound: lag P99 14 ms"])
    assert alerts(_verdict(verdict)) == ["INCONCLUSIVE: generator-bound: lag P99 14 ms"]


def test_pass_counts_judged_objectives_and_names_the_reported_rows() -> None:
    verdict = decide(
        [
            VerdictRow("p95 latency", "run", "<= 300 ms", "2.0 ms", True, 2.0, 300.0),
            VerdictRow("cache flush", "cold", "reported", "flushed", None),
        ]
    )
    assert alerts(_verdict(verdict)) == [
        "PASS: the objective held. 1 more row is reported, not judged."
    ]


def test_the_head_says_which_loadplan_and_engine_measured() -> None:
    meta = {"loadplan": "0.1.0", "engine": "interpreted"}
    assert _tool_text(meta) == " · loadplan 0.1.0 (interpreted engine)"
    assert _tool_text({"loadplan": "0.1.0"}) == " · loadplan 0.1.0"  # runs before the field
    assert _tool_text({}) == ""
