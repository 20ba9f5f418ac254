"""The coordinator's CPU priority: out of the workers' way, and back when it falls behind."""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Callable

import pytest

from loadplan.scenarios import priority as priority_module
from loadplan.scenarios.priority import BEHIND_S, CAUGHT_UP_S, CoordinatorPriority

linux_only = pytest.mark.skipif(
    not hasattr(os, "SCHED_IDLE") or os.geteuid() != 0,
    reason="needs Linux scheduling policies and the right to leave SCHED_IDLE",
)


def in_thread(body: Callable[[], None]) -> None:
    """Policy and nice are per thread on Linux: a throwaway thread leaves the session's alone."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            body()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def state() -> tuple[int, int]:
    return os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)


@linux_only
def test_the_coordinator_steps_aside_and_comes_back_as_it_was() -> None:
    def body() -> None:
        before_policy, before_nice = state()
        if before_policy != os.SCHED_OTHER or before_nice > 9:
            pytest.skip("already running at a lowered priority")
        priority = CoordinatorPriority()
        assert priority.idle
        assert state() == (os.SCHED_IDLE, before_nice + 10)
        priority.restore()
        assert state() == (before_policy, before_nice)

    in_thread(body)


@linux_only
def test_a_coordinator_that_falls_behind_takes_a_share_back_until_it_catches_up() -> None:
    def body() -> None:
        priority = CoordinatorPriority()
        nice = os.getpriority(os.PRIO_PROCESS, 0)
        priority.keep_up(BEHIND_S / 2)
        assert os.sched_getscheduler(0) == os.SCHED_IDLE
        priority.keep_up(BEHIND_S + 0.5)
        assert (os.sched_getscheduler(0), priority.idle) == (os.SCHED_OTHER, False)
        assert os.getpriority(os.PRIO_PROCESS, 0) == nice  # still lowered, not equal
        priority.keep_up((BEHIND_S + CAUGHT_UP_S) / 2)  # in between: no flapping
        assert os.sched_getscheduler(0) == os.SCHED_OTHER
        priority.keep_up(CAUGHT_UP_S / 2)
        assert os.sched_getscheduler(0) == os.SCHED_IDLE
        priority.restore()
        assert os.sched_getscheduler(0) == os.SCHED_OTHER

    in_thread(body)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no scheduling policies here")
def test_without_the_right_to_leave_it_the_coordinator_never_enters_sched_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An ordinary user with the default RLIMIT_NICE (0) could go idle but never come back, and a
    # busy worker would starve it for the rest of the run.
    monkeypatch.setattr(priority_module.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(priority_module.resource, "getrlimit", lambda _: (0, 0))
    assert not priority_module._may_leave_idle(10)

    def body() -> None:
        priority = CoordinatorPriority()
        assert not priority.idle
        assert os.sched_getscheduler(0) == os.SCHED_OTHER
        priority.restore()

    in_thread(body)
    monkeypatch.setattr(priority_module.resource, "getrlimit", lambda _: (10, 10))
    assert priority_module._may_leave_idle(10)
    monkeypatch.setattr(
        priority_module.resource, "getrlimit", lambda _: (resource.RLIM_INFINITY,) * 2
    )
    assert priority_module._may_leave_idle(19)
