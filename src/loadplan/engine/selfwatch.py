"""The generator watching itself, so it never blames the target for its own limits.

Two symptoms mean the numbers describe the generator rather than the target: the pacer dispatching
late (schedule lag: due requests not handed to the pool on time), and the generator's processes
running out of CPU. Either one flags the run as generator-bound.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram


class CpuMeter:
    """CPU used by this process between calls, as a fraction of one core."""

    __slots__ = ("_cpu", "_wall")

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def read(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        used = (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return used


def resident_bytes() -> int:
    """This process's resident memory now (``/proc/self/statm``; 0 where there is none).

    Read once a second into the snapshots, so a long run shows whether the generator's memory
    stays flat instead of that being claimed.
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class OffCpuMeter:
    """Time this process wanted a CPU and did not have one, between calls (Linux; else zeros).

    Two causes, read separately because they call for different fixes:

    - *waited*: runnable but queued behind another process on its CPU (``run_delay`` in
      ``/proc/self/schedstat``): something else on the machine is busy.
    - *stolen*: the hypervisor ran another guest on this VM's CPU (``steal`` in ``/proc/stat``,
      for the CPUs this process may run on, averaged over them): the host is busy.

    Either makes due requests go out late through no fault of loadplan's code or the target's;
    reported next to the lag, they say whose the lateness was. Stolen time is measured in
    clock ticks (10 ms on most kernels), so it is coarse.
    """

    __slots__ = ("_cpus", "_run_delay_ns", "_steal_ticks", "_tick_s")

    def __init__(self) -> None:
        try:
            allowed = sorted(os.sched_getaffinity(0))
            self._tick_s = 1.0 / os.sysconf("SC_CLK_TCK")
        except (AttributeError, ValueError, OSError):
            allowed, self._tick_s = [], 0.01
        self._cpus = {f"cpu{c}" for c in allowed}
        self._run_delay_ns = self._read_run_delay()
        self._steal_ticks = self._read_steal()

    @staticmethod
    def _read_run_delay() -> int:
        try:
            with open("/proc/self/schedstat", encoding="ascii") as f:
                return int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0

    def _read_steal(self) -> int:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                lines = [line.split() for line in f if line.startswith("cpu")]
        except OSError:
            return 0
        # Fields: name user nice system idle iowait irq softirq steal ...
        return sum(int(f[8]) for f in lines if f[0] in self._cpus and len(f) > 8)

    def read(self) -> tuple[float, float]:
        """(waited, stolen) seconds since the last call."""
        run_delay, steal = self._read_run_delay(), self._read_steal()
        waited = (run_delay - self._run_delay_ns) / 1e9
        stolen = (steal - self._steal_ticks) * self._tick_s / max(len(self._cpus), 1)
        self._run_delay_ns, self._steal_ticks = run_delay, steal
        return max(waited, 0.0), max(stolen, 0.0)


@dataclass(frozen=True, slots=True)
class GeneratorHealth:
    """The verdict on the generator.

    Attributes:
        bound: True when the run's numbers cannot be trusted as the target's.
        reasons: why, one sentence each.
        lag_p99_ms: P99 of dispatch lag over the run.
        lag_max_ms: worst dispatch lag.
        cpu_max: highest per-worker CPU share seen in an interval (1.0 = a full core).
        off_cpu_max_ms: most time a worker (the average over workers) spent in one second
            wanting a CPU it did not get (queued behind other processes, or taken by the
            hypervisor).
    """

    bound: bool
    reasons: tuple[str, ...]
    lag_p99_ms: float
    lag_max_ms: float
    cpu_max: float
    off_cpu_max_ms: float = 0.0


def assess(
    lag: HdrHistogram,
    cpu_busiest: Iterable[float],
    lag_p99_bound_ms: float = 10.0,
    cpu_bound: float = 0.9,
    cpu_sustained: int = 3,
    off_cpu_worst: Iterable[tuple[float, float]] = (),
) -> GeneratorHealth:
    """Judge a run from its whole-run lag histogram and, per second, the busiest worker's CPU
    (1.0 = a core) and the (waited, stolen) seconds of the worker kept off its CPU the longest.

    Lag P99 above ``lag_p99_bound_ms``, or CPU >= ``cpu_bound`` for ``cpu_sustained`` consecutive
    seconds, makes it generator-bound.
    """
    has_lag = lag.get_total_count() > 0
    lag_p99 = lag.get_value_at_percentile(99) / 1000 if has_lag else 0.0
    lag_max = lag.get_max_value() / 1000 if has_lag else 0.0
    reasons = []
    if lag_p99 > lag_p99_bound_ms:
        reasons.append(
            f"schedule lag P99 {lag_p99:.1f} ms > {lag_p99_bound_ms:g} ms: the generator sent late"
        )
    streak = best = 0
    cpu_max = 0.0
    for cpu in cpu_busiest:
        cpu_max = max(cpu_max, cpu)
        streak = streak + 1 if cpu >= cpu_bound else 0
        best = max(best, streak)
    if best >= cpu_sustained:
        reasons.append(f"generator CPU >= {cpu_bound:.0%} of a core for {best} consecutive seconds")
    waited, stolen = max(off_cpu_worst, key=sum, default=(0.0, 0.0))
    off_cpu_ms = (waited + stolen) * 1000
    if reasons and off_cpu_ms >= 2 * max(lag_p99, 1.0):
        # Not a reason of its own: it says whose the lateness above was.
        reasons.append(
            f"workers were kept off their CPU for up to {off_cpu_ms:.0f} ms in one second "
            f"({waited * 1000:.0f} ms behind other processes, {stolen * 1000:.0f} ms taken "
            "by the hypervisor): the machine, not the target, made requests late"
        )
    return GeneratorHealth(bool(reasons), tuple(reasons), lag_p99, lag_max, cpu_max, off_cpu_ms)
