"""Merged seconds keep each worker's CPU and time off the CPU, so one saturated worker shows."""

from __future__ import annotations

from array import array

from hdrh.histogram import HdrHistogram
from hypothesis import given
from hypothesis import strategies as st

from loadplan.engine.interval import RawInterval
from loadplan.engine.recorder import Recorder
from loadplan.results.histogram import counts_view
from loadplan.results.run import RunTotals
from loadplan.results.snapshot import IntervalSnapshot, busiest_worker, merge_snapshots


def second(
    index: int, cpus: tuple[float, ...], off_cpu: tuple[tuple[float, float], ...]
) -> IntervalSnapshot:
    """One merged second of len(cpus) workers, each as the worker's recorder cuts it."""
    return merge_snapshots(
        IntervalSnapshot.from_raw(
            Recorder().cut(index, float(index), index + 1.0, cpu=cpu, off_cpu=off)
        )
        for cpu, off in zip(cpus, off_cpu, strict=True)
    )


def test_a_merged_second_knows_its_busiest_worker_and_the_one_kept_off_its_cpu_longest() -> None:
    snap = second(0, (1.0, 0.4), ((0.002, 0.010), (0.030, 0.0)))
    assert snap.cpu == 1.4
    cpu_busiest, off_cpu_worst = snap.busiest_worker()
    assert cpu_busiest == 1.0  # not the average, 0.7
    assert off_cpu_worst == (0.030, 0.0)
    cpu, off_cpu = busiest_worker(snap.summary())  # as read back from snapshots.jsonl
    assert cpu == 1.0
    assert off_cpu == (0.030, 0.0)


def test_rows_without_per_worker_figures_read_as_the_average() -> None:
    row = {"workers": 2, "cpu": 1.4, "waited_ms": 32.0, "stolen_ms": 10.0}
    assert busiest_worker(row) == (0.7, (0.016, 0.005))


def test_one_saturated_worker_makes_the_run_generator_bound() -> None:
    totals = RunTotals()
    for index in range(4):
        totals.add(second(index, (0.97, 0.40), ((0.0, 0.0), (0.0, 0.0))))
    health = totals.health()
    assert health.bound
    assert health.cpu_max == 0.97
    assert any("CPU >= 90%" in reason for reason in health.reasons)


latencies = st.lists(st.integers(min_value=-5, max_value=4_000_000_000), max_size=40)


@st.composite
def raw_second(draw: st.DrawFn, index: int = 3) -> RawInterval:
    tags = draw(st.dictionaries(st.sampled_from(["lang=en", "lang=ja", "bucket=tail"]), latencies))
    errors = draw(
        st.dictionaries(st.sampled_from(["ok", "timeout", "http_5xx"]), st.integers(0, 9))
    )
    return RawInterval(
        index=index,
        start_s=float(index) + draw(st.floats(0, 0.01)),
        end_s=index + 1.0 - draw(st.floats(0, 0.01)),
        stage="s",
        due=draw(st.integers(0, 50)),
        sent=draw(st.integers(0, 50)),
        errors=errors,
        statuses=draw(st.dictionaries(st.sampled_from([200, 503]), st.integers(0, 9))),
        bytes_in=draw(st.integers(0, 10_000)),
        latency=array("q", draw(latencies)),
        service=array("q", draw(latencies)),
        lag=array("q", draw(latencies)),
        tags={k: array("q", v) for k, v in tags.items()},
        tag_errors={"lang=en": draw(st.integers(0, 3))},
        inflight_max=draw(st.integers(0, 9)),
        cpu=draw(st.floats(0, 1)),
        waited=draw(st.floats(0, 0.1)),
        stolen=draw(st.floats(0, 0.1)),
        rss=draw(st.integers(0, 10**9)),
    )


def counts(hist: HdrHistogram) -> list[int]:
    return counts_view(hist).tolist()


@given(st.lists(raw_second(), min_size=1, max_size=5))
def test_building_the_merged_second_at_once_is_merging_each_workers_second(
    raws: list[RawInterval],
) -> None:
    at_once = IntervalSnapshot.from_raws(raws)
    one_by_one = merge_snapshots(IntervalSnapshot.from_raw(r) for r in raws)
    assert at_once.summary() == one_by_one.summary()
    for name in ("latency", "service", "lag"):
        assert counts(getattr(at_once, name)) == counts(getattr(one_by_one, name)), name
    assert at_once.tags.keys() == one_by_one.tags.keys()
    for key, hist in at_once.tags.items():
        assert counts(hist) == counts(one_by_one.tags[key]), key
