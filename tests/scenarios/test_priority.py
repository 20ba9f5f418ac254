"""The coordinator's CPU priority: out of the workers' way, and back when it falls behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

from loadplan.scenarios import priority as priority_module
from loadplan.scenarios.priority import (
    BEHIND_S,
    CAUGHT_UP_S,
    CoordinatorPriority,
    shares_cores_with_workers,
)

reversible = pytest.mark.skipif(
    not hasattr(os, "SCHED_IDLE") or not priority_module._idle_is_reversible(),
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


def policy() -> int:
    return os.sched_getscheduler(0)


@reversible
def test_the_coordinator_steps_aside_and_comes_back_as_it_was() -> None:
    def body() -> None:
        before = (policy(), os.getpriority(os.PRIO_PROCESS, 0))
        if before[0] != os.SCHED_OTHER or before[1] > 9:
            pytest.skip("already running at a lowered priority")
        priority = CoordinatorPriority()
        assert priority.idle
        assert (policy(), os.getpriority(os.PRIO_PROCESS, 0)) == (os.SCHED_IDLE, before[1] + 10)
        priority.restore()
        assert (policy(), os.getpriority(os.PRIO_PROCESS, 0)) == before

    in_thread(body)


@reversible
def test_a_coordinator_that_falls_behind_takes_a_share_back_until_it_catches_up() -> None:
    def body() -> None:
        priority = CoordinatorPriority()
        nice = os.getpriority(os.PRIO_PROCESS, 0)
        priority.keep_up(BEHIND_S / 2)
        assert policy() == os.SCHED_IDLE
        priority.keep_up(BEHIND_S + 0.5)
        assert (policy(), priority.idle) == (os.SCHED_OTHER, False)
        assert os.getpriority(os.PRIO_PROCESS, 0) == nice  # still lowered, not equal
        priority.keep_up((BEHIND_S + CAUGHT_UP_S) / 2)  # in between: no flapping
        assert policy() == os.SCHED_OTHER
        priority.keep_up(CAUGHT_UP_S / 2)
        assert policy() == os.SCHED_IDLE
        priority.restore()
        assert policy() == os.SCHED_OTHER

    in_thread(body)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no scheduling policies here")
def test_not_asked_or_not_allowed_to_idle_it_stays_at_nice_ten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def body() -> None:
        for priority in (CoordinatorPriority(idle=False), CoordinatorPriority()):
            assert not priority.idle
            assert policy() == os.SCHED_OTHER
            priority.keep_up(0.0)
            assert policy() == os.SCHED_OTHER
            priority.restore()

    monkeypatch.setattr(priority_module, "_idle_is_reversible", lambda: False)
    in_thread(body)


@pytest.mark.skipif(
    shutil.which("capsh") is None or os.geteuid() != 0, reason="needs capsh and root"
)
def test_root_without_cap_sys_nice_never_goes_idle() -> None:
    # Root in a container may lack CAP_SYS_NICE: it could enter SCHED_IDLE but never leave it,
    # and a busy worker would starve the coordinator for the rest of the run.
    script = (
        "from loadplan.scenarios.priority import CoordinatorPriority;"
        "p = CoordinatorPriority(); print(p.idle)"
    )
    done = subprocess.run(
        ["capsh", "--drop=cap_sys_nice", "--", "-c", f"{sys.executable} -c '{script}'"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_shares_cores_when_it_may_run_on_no_more_cores_than_there_are_workers() -> None:
    cores = len(os.sched_getaffinity(0))
    assert shares_cores_with_workers(cores)
    assert shares_cores_with_workers(cores + 1)
    assert not shares_cores_with_workers(cores - 1) or cores == 1
