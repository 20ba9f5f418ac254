"""The generator watching itself: lag, CPU and time kept off the CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from loadplan.engine.selfwatch import CpuMeter, OffCpuMeter, assess, resident_bytes
from loadplan.results.histogram import new_histogram, record_many


def lag_histogram(*values_us: int) -> object:
    hist = new_histogram()
    record_many(hist, list(values_us))
    return hist


def test_late_dispatch_makes_the_run_generator_bound() -> None:
    health = assess(lag_histogram(*[20_000] * 100), [0.3, 0.3])  # type: ignore[arg-type]
    assert health.bound
    assert "schedule lag P99" in health.reasons[0]


def test_sustained_full_cpu_makes_the_run_generator_bound() -> None:
    assert not assess(lag_histogram(100), [0.95, 0.95, 0.5]).bound  # type: ignore[arg-type]
    health = assess(lag_histogram(100), [0.95, 0.96, 0.97])  # type: ignore[arg-type]
    assert health.bound
    assert "3 consecutive seconds" in health.reasons[0]


def test_time_off_the_cpu_explains_late_dispatch_but_is_no_reason_alone() -> None:
    off_cpu = [(0.0, 0.0), (0.030, 0.020)]
    late = assess(lag_histogram(*[20_000] * 100), [0.3, 0.3], off_cpu_worst=off_cpu)  # type: ignore[arg-type]
    assert late.off_cpu_max_ms == pytest.approx(50)
    assert "30 ms behind other processes, 20 ms taken by the hypervisor" in late.reasons[-1]
    on_time = assess(lag_histogram(100), [0.3, 0.3], off_cpu_worst=off_cpu)  # type: ignore[arg-type]
    assert not on_time.bound
    assert on_time.off_cpu_max_ms == pytest.approx(50)


def test_cpu_meter_reads_a_busy_core() -> None:
    meter = CpuMeter()
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        pass
    assert meter.read() > 0.5


SPIN_ONE_SECOND = "import time\nend = time.monotonic() + 1.0\nwhile time.monotonic() < end: pass"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_off_cpu_meter_sees_time_queued_behind_another_process() -> None:
    # This thread and a spinning child process share one CPU: each waits while the other runs,
    # so this thread's run_delay (/proc/self/schedstat) grows by about half the time.
    cpu = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        child = subprocess.Popen([sys.executable, "-c", SPIN_ONE_SECOND])
        time.sleep(0.1)  # let it start spinning
        meter = OffCpuMeter()
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            pass
        waited, stolen = meter.read()
        child.wait(timeout=10)
    finally:
        os.sched_setaffinity(0, before)
    assert waited > 0.05
    assert stolen >= 0.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_resident_bytes_grows_with_memory_held() -> None:
    before = resident_bytes()
    held = bytearray(64 * 2**20)  # zero-filled: every page touched
    after = resident_bytes()
    assert before > 0
    assert after - before >= 60 * 2**20
    del held
