"""The stage book: seconds filed by label, exact per-stage totals, drift windows."""

from __future__ import annotations

import pytest

from loadplan.results.stagebook import StageBook
from tests.support.snapshots import book_of, second, steady


def test_totals_per_label_start_where_the_stage_does() -> None:
    book = book_of(steady(0, 3, "a", per_second=10) + steady(3, 2, "b", per_second=20))
    a, b = book.totals["a"], book.totals["b"]
    assert (a.counts["completed"], a.duration_s) == (30, 3.0)
    assert (b.counts["completed"], b.start_s, b.duration_s) == (40, 3.0, 2.0)
    summary = b.summary({}, complete=True, stop_reason="")
    assert summary["rate"]["achieved"] == 20.0
    both = book.totals_of(["a", "b"])
    assert both.latency.get_total_count() == 70
    assert both.duration_s == 5.0
    assert [r.label for r in book.seconds_of(["b"])] == ["b", "b"]


@pytest.mark.parametrize(
    ("seconds", "window", "expected"),
    [
        (6, 2.0, [(0.0, 2.0), (2.0, 2.0), (4.0, 2.0)]),
        (7, 3.0, [(0.0, 3.0), (3.0, 3.0)]),  # a 1 s scrap of a 3 s window is dropped
        (5, 3.0, [(0.0, 3.0), (3.0, 2.0)]),  # 2 s of a 3 s window is enough
    ],
    ids=["whole", "scrap-dropped", "scrap-kept"],
)
def test_drift_windows(seconds: int, window: float, expected: list[tuple[float, float]]) -> None:
    book = book_of(steady(0, seconds, "soak"), window_s=window)
    assert [(w.start_s, w.length_s) for w in book.windows["soak"]] == expected


def test_windows_follow_the_label_not_the_run_clock() -> None:
    book = book_of(steady(0, 1, "warm") + steady(1, 4, "soak", ms=20), window_s=2.0)
    assert [w.start_s for w in book.windows["soak"]] == [1.0, 3.0]
    assert book.windows["soak"][0].p95_ms == pytest.approx(28.8, rel=0.01)


def test_second_rows() -> None:
    book = book_of(
        [second(0, "x", [5.0] * 9, errors={"ok": 9, "connect_refused": 1}), second(1, "x", [])]
    )
    first, empty = book.seconds
    assert (first.completed, first.ok, first.refused, first.full) == (10, 9, 1, True)
    assert first.latency_ms["p95"] == pytest.approx(5.0, rel=0.01)
    assert empty.latency_ms == {}


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window_s"):
        StageBook(0)
