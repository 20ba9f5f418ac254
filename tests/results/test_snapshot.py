"""Merged seconds keep each worker's CPU and time off the CPU, so one saturated worker shows."""

from __future__ import annotations

from loadplan.engine.recorder import Recorder
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
