"""The coordinator's CPU priority while workers run: out of their way, but never left behind.

The coordinator's work (histograms, the run log, the live view) can wait a few hundred
milliseconds; a worker's cannot, since a request due while the worker waits for the CPU goes out
that late. When they share a core (a one-core run, or more workers than cores) the scheduler has
to be told which is which:

- At nice +10 (the first remedy) the coordinator still kept a worker waiting 10-90 ms a second
  at 20,000 req/s with 30 tags (``/proc/self/schedstat`` run delay, measured): a worker that
  wakes up does not always preempt a lower-priority task at once. Lag P99 2.7-4.5 ms in most
  seconds.
- ``SCHED_IDLE`` runs the coordinator only when the core has nothing else to do, and a waking
  worker preempts it at once: waited 1-8 ms a second, lag P99 1.2-2.0 ms in most seconds, same
  rate and workload (``loadplan run bench/realistic_workload.toml --rate 20000``, everything
  pinned to one core).

The catch with ``SCHED_IDLE``: a worker that keeps the core busy would starve the coordinator,
and its seconds would pile up unread (no live view, no breakpoint stop, memory growing in the
worker). So the coordinator watches how far behind it is (``keep_up``): past ``BEHIND_S`` it
takes a normal, lowered share again (nice +10) until it has caught up. Leaving ``SCHED_IDLE``
needs privileges (or an ``RLIMIT_NICE`` that allows the thread's nice value); without them the
coordinator stays at nice +10 and never enters it.
"""

from __future__ import annotations

import contextlib
import os
import resource

BEHIND_S = 2.0
"""How far behind the workers (seconds) the coordinator may fall before it takes CPU back."""
CAUGHT_UP_S = 1.0


class CoordinatorPriority:
    """Lowers the calling thread's CPU priority; ``restore`` puts it back.

    On Linux scheduling policy and nice are per thread: this lowers only the thread that made it
    (the coordinator's main thread), and threads started later inherit the lowered state.
    Without ``SCHED_IDLE`` (other systems) it falls back to nice alone. Restoring a nice value
    needs privileges an ordinary user may lack; then the thread stays at the lowered nice.
    """

    def __init__(self, step: int = 10) -> None:
        self._nice_before: int | None = None
        self._policy_before: int | None = None
        self.idle = False
        """True while the thread runs at ``SCHED_IDLE`` (only when the core is otherwise free)."""
        with contextlib.suppress(OSError, AttributeError):
            before = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, 0, min(before + step, 19))
            self._nice_before = before
        with contextlib.suppress(OSError, AttributeError):
            self._policy_before = os.sched_getscheduler(0)
        self._step_aside()

    def keep_up(self, behind_s: float) -> None:
        """Told how far behind the workers the coordinator is: take a share of the CPU back
        when it is past ``BEHIND_S``, step aside again once within ``CAUGHT_UP_S``."""
        if self.idle and behind_s > BEHIND_S:
            self._set_policy(os.SCHED_OTHER)
        elif not self.idle and behind_s < CAUGHT_UP_S:
            self._step_aside()

    def restore(self) -> None:
        if self._policy_before is not None and self.idle:
            self._set_policy(self._policy_before)
        self._policy_before = None
        if self._nice_before is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, 0, self._nice_before)
            self._nice_before = None

    def _step_aside(self) -> None:
        if (
            hasattr(os, "SCHED_IDLE")
            and self._policy_before == os.SCHED_OTHER
            and _may_leave_idle(os.getpriority(os.PRIO_PROCESS, 0))
        ):
            self._set_policy(os.SCHED_IDLE)

    def _set_policy(self, policy: int) -> None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, os.sched_param(0))
            self.idle = policy == getattr(os, "SCHED_IDLE", None)


def _may_leave_idle(nice: int) -> bool:
    """Whether this thread could switch back from ``SCHED_IDLE`` (the kernel's ``can_nice``):
    root, or an ``RLIMIT_NICE`` at least ``20 - nice``."""
    if os.geteuid() == 0:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or 20 - nice <= soft
