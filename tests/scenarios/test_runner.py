"""The coordinator's own pieces (the whole run is tested in test_runs.py and tests/acceptance)."""

from __future__ import annotations

import os
import threading

import pytest

from loadplan.scenarios.runner import _BackgroundPriority


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no nice values here")
def test_background_priority_lowers_the_thread_while_workers_run() -> None:
    # Nice is per thread on Linux: a throwaway thread, so the test session's own is untouched.
    seen: dict[str, int] = {}

    def body() -> None:
        seen["before"] = os.getpriority(os.PRIO_PROCESS, 0)
        priority = _BackgroundPriority()
        seen["during"] = os.getpriority(os.PRIO_PROCESS, 0)
        priority.restore()
        seen["after"] = os.getpriority(os.PRIO_PROCESS, 0)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    if seen["before"] > 9:
        pytest.skip("already running at a low priority")
    assert seen["during"] == seen["before"] + 10
    if os.geteuid() == 0:  # raising priority back needs privileges
        assert seen["after"] == seen["before"]
