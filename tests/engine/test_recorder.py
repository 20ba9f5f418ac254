from __future__ import annotations

import pickle

from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass
from loadplan.results.snapshot import IntervalSnapshot, merge_snapshots

MS = 1_000_000


def test_latency_from_intended_service_from_sent() -> None:
    rec = Recorder()
    rec.dispatched_all([0], now_ns=2 * MS)
    rec.sent_one()
    rec.record(
        (), intended_ns=0, sent_ns=300 * MS, done_ns=310 * MS, error=ErrorClass.OK, status=200
    )
    snap = IntervalSnapshot.from_raw(rec.cut(0, 0.0, 1.0))
    assert snap.latency.get_max_value() // 1000 == 310
    assert snap.service.get_max_value() // 1000 == 10
    assert snap.lag.get_max_value() // 1000 == 2
    assert (snap.due, snap.sent, snap.completed, snap.ok) == (1, 1, 1, 1)


def test_tags_errors_and_reset_between_intervals() -> None:
    rec = Recorder()
    ja = (("lang", "ja"),)
    rec.record(ja, 0, 0, 5 * MS, ErrorClass.OK, 200, 100)
    rec.record(ja, 0, 0, 7 * MS, ErrorClass.HTTP_5XX, 503, 10)
    rec.record(ja, 0, 0, 1 * MS, ErrorClass.CONNECT_REFUSED)
    snap = IntervalSnapshot.from_raw(rec.cut(0, 0.0, 1.0))
    assert snap.errors == {"ok": 1, "http_5xx": 1, "connect_refused": 1}
    assert snap.statuses == {200: 1, 503: 1}
    assert snap.bytes_in == 110
    assert snap.tags["lang=ja"].get_total_count() == 2  # the refusal has no latency
    assert snap.tag_errors == {"lang=ja": 2}
    empty = IntervalSnapshot.from_raw(rec.cut(1, 1.0, 2.0))
    assert empty.completed == 0
    assert empty.latency.get_total_count() == 0


def test_snapshots_merge_exactly_and_round_trip() -> None:
    snaps = []
    for worker in range(2):
        rec = Recorder()
        for i in range(100 + worker * 50):
            rec.record((("w", str(worker)),), 0, 0, (i + 1) * MS, ErrorClass.OK, 200, 1)
        raw = pickle.loads(pickle.dumps(rec.cut(3, 3.0, 4.0, cpu=0.25)))  # as between processes
        snaps.append(IntervalSnapshot.from_raw(raw))
    total = merge_snapshots(snaps)
    assert total.completed == 250
    assert total.latency.get_total_count() == 250
    assert set(total.tags) == {"w=0", "w=1"}
    assert total.workers == 2
    assert total.cpu == 0.5


def test_run_summary_merges_tag_combinations_per_single_tag() -> None:
    from loadplan.results.run import RunTotals

    rec = Recorder()
    for lang, bucket, n in (("ja", "tail", 3), ("ja", "head", 2), ("en", "tail", 4)):
        for _ in range(n):
            rec.record((("lang", lang), ("bucket", bucket)), 0, 0, MS, ErrorClass.OK, 200)
    totals = RunTotals()
    totals.add(IntervalSnapshot.from_raw(rec.cut(0, 0.0, 1.0)))
    by_tag = totals.summary({}, complete=True, stop_reason="completed")["by_tag"]
    assert {k: v["count"] for k, v in by_tag.items()} == {
        "bucket=head": 2,
        "bucket=tail": 7,
        "lang=en": 4,
        "lang=ja": 5,
    }


def test_responses_are_classed_by_status_at_the_cut() -> None:
    rec = Recorder()
    ja = (("lang", "ja"),)
    rec.response(ja, 0, 0, 5 * MS, 200, 10)
    rec.response(ja, 0, 0, 6 * MS, 404, 10)
    rec.response((), 0, 0, 7 * MS, 503, 10)
    rec.record((), 0, 0, 8 * MS, ErrorClass.TIMEOUT)
    rec.record((), 0, 0, 9 * MS, ErrorClass.HTTP_5XX, 500)  # same as response(..., 500)
    raw = rec.cut(0, 0.0, 1.0)
    assert raw.errors == {"ok": 1, "http_4xx": 1, "http_5xx": 2, "timeout": 1}
    assert raw.statuses == {200: 1, 404: 1, 503: 1, 500: 1}
    assert raw.tag_errors == {"lang=ja": 1}
    assert raw.bytes_in == 30
    assert sorted(raw.latency) == [5000, 6000, 7000, 8000, 9000]


def test_an_interval_with_nothing_in_it_is_empty() -> None:
    rec = Recorder()
    assert rec.empty
    rec.dispatched_all([0], now_ns=0)
    assert not rec.empty
    rec.cut(0, 0.0, 1.0)
    assert rec.empty
    rec.response((), 0, 0, MS, 200, 1)
    assert not rec.empty


def test_a_dispatched_batch_counts_each_request_due_with_its_own_lag() -> None:
    batch = Recorder()
    batch.dispatched_all([0, MS, 3 * MS], now_ns=3 * MS)
    a = batch.cut(0, 0.0, 1.0)
    assert a.due == 3
    assert list(a.lag) == [3000, 2000, 0]
