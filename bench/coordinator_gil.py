"""Why a coordinator with service threads does not go to SCHED_IDLE: its GIL holds them up.

On one core (taskset -c 0), three things run for a few seconds: a busy process at normal
priority (a saturated worker), the main thread doing Python work at the priority under test
(the coordinator building histograms), and a normal-priority thread that sleeps 50 ms twenty
times (a scraper or cache-flush hook). Printed: how late the sleeper woke, for the main thread
at normal priority, at nice +10, and at SCHED_IDLE. Linux only; run as root or with
CAP_SYS_NICE (leaving SCHED_IDLE needs it):

    taskset -c 0 python bench/coordinator_gil.py
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading
import time


def busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def measure(policy: str) -> list[float]:
    lateness: list[float] = []

    def ticker() -> None:
        for _ in range(20):
            asked = time.monotonic()
            time.sleep(0.05)
            lateness.append((time.monotonic() - asked - 0.05) * 1000)

    worker = multiprocessing.get_context("fork").Process(target=busy, args=(4.0,))
    worker.start()
    thread = threading.Thread(target=ticker)
    thread.start()  # before lowering: it keeps normal priority, as the runner's services do
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if policy == "nice10":
        os.setpriority(os.PRIO_PROCESS, 0, before + 10)
    elif policy == "idle":
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    while thread.is_alive():
        sum(i * i for i in range(20_000))  # Python work: holds the GIL between switches
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    os.setpriority(os.PRIO_PROCESS, 0, before)
    worker.terminate()
    worker.join()
    return lateness


def main() -> None:
    if not hasattr(os, "SCHED_IDLE"):
        raise SystemExit("coordinator_gil: Linux only")
    for policy in ("normal", "nice10", "idle"):
        late = measure(policy)
        print(f"{policy:7s} ticker lateness ms: median {statistics.median(late):7.1f}  "
              f"max {max(late):7.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
