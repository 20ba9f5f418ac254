"""The coordinator's CPU priority while workers run: out of their way, but never left behind.

The coordinator's work (histograms, the run log, the live view) can wait a few hundred
milliseconds; a worker's cannot, since a request due while the worker waits for the CPU goes out
that late. The coordinator always runs at nice +10. When it can only run on cores its workers
need as well (``taskset`` to one core, or as many workers as cores), that is not enough:

- At nice +10 the coordinator still kept a worker waiting 9-69 ms a second at 20,000 req/s with
  30 tags (``/proc/self/schedstat`` run delay, measured): a worker that wakes up does not always
  preempt a lower-priority task at once. Lag P99 over the run 15-25 ms.
- ``SCHED_IDLE`` runs the coordinator only when the core has nothing else to do, and a waking
  worker preempts it at once: waited 1-8 ms a second, seconds after the first 0.9-2.5 ms at P99,
  same rate and workload (``loadplan run bench/realistic_workload.toml --rate 20000``,
  everything pinned to one core).

Two catches, and what is done about them:

- A worker that keeps the core busy would starve the coordinator, and its seconds would pile up
  unread (no live view, no breakpoint stop, memory growing in the worker). So the coordinator
  watches how far behind it is (``keep_up``): past ``BEHIND_S`` it takes its nice +10 share
  back until it has caught up. That needs the right to leave ``SCHED_IDLE`` (CAP_SYS_NICE, or
  an ``RLIMIT_NICE`` that allows it; root in a container may lack it), so it is tried once in a
  throwaway thread first, and without it the coordinator never enters ``SCHED_IDLE``.
- The coordinator's other threads (the scraper, the cache-flush hook, the Prometheus exporter)
  need the GIL, and a ``SCHED_IDLE`` thread preempted while holding it makes them wait for an
  idle core: a 50 ms ticker ran 1.36 s late beside a busy worker (31-34 ms at nice +10;
  ``taskset -c 0 python bench/coordinator_gil.py``). So a run with such services stays at
  nice +10.
"""

from __future__ import annotations

import contextlib
import os
import threading

BEHIND_S = 2.0
"""How far behind the workers (seconds) the coordinator may fall before it takes CPU back."""
CAUGHT_UP_S = 1.0
"""How close it must be again before it steps aside once more (apart from ``BEHIND_S``, so the
policy does not flip every second)."""


class CoordinatorPriority:
    """Lowers the calling thread's CPU priority; ``restore`` puts it back.

    On Linux scheduling policy and nice are per thread: this lowers only the thread that made it
    (the coordinator's main thread); threads it starts and processes it forks later inherit the
    lowered state (the runner forks its workers first, and restores before it returns).
    Restoring a nice value needs privileges an ordinary user may lack; then the thread stays at
    nice +10.

    Args:
        idle: whether ``SCHED_IDLE`` is wanted at all (see the module docstring: when the
            coordinator shares its cores with its workers and runs no services).
    """

    def __init__(self, idle: bool = True, step: int = 10) -> None:
        self._nice_before: int | None = None
        self.idle = False
        """True while the thread runs at ``SCHED_IDLE`` (only when the core is otherwise free)."""
        with contextlib.suppress(OSError, AttributeError):
            before = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, 0, min(before + step, 19))
            self._nice_before = before
        self._may_idle = idle and _idle_is_reversible()
        self._step_aside()

    def keep_up(self, behind_s: float) -> None:
        """Told how far behind the workers the coordinator is: take a share of the CPU back
        when it is past ``BEHIND_S``, step aside again once within ``CAUGHT_UP_S``."""
        if self.idle and behind_s > BEHIND_S:
            self._set_policy(os.SCHED_OTHER)
        elif not self.idle and behind_s < CAUGHT_UP_S:
            self._step_aside()

    def restore(self) -> None:
        """Back to the normal policy and the nice value from before (as far as allowed)."""
        if self.idle:
            self._set_policy(os.SCHED_OTHER)
        self._may_idle = False
        if self._nice_before is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, 0, self._nice_before)
            self._nice_before = None

    def _step_aside(self) -> None:
        if self._may_idle:
            self._set_policy(os.SCHED_IDLE)

    def _set_policy(self, policy: int) -> None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, os.sched_param(0))
            self.idle = policy == os.SCHED_IDLE


def shares_cores_with_workers(workers: int) -> bool:
    """Whether the coordinator can only run on cores its workers need as well."""
    try:
        return len(os.sched_getaffinity(0)) <= workers
    except (AttributeError, OSError):
        return False


def _idle_is_reversible() -> bool:
    """Whether a thread like this one may go to ``SCHED_IDLE`` and come back: tried for real in
    a throwaway thread (it inherits this thread's nice value), since the kernel's rule (its
    ``can_nice``: CAP_SYS_NICE or ``RLIMIT_NICE``) is not the effective user id."""
    if not hasattr(os, "SCHED_IDLE") or os.sched_getscheduler(0) != os.SCHED_OTHER:
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, name="loadplan-priority-probe")
    thread.start()
    thread.join()
    return result == [True]
