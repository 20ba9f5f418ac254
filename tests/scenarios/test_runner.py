"""The coordinator's own pieces (the whole run is tested in test_runs.py and tests/acceptance)."""

from __future__ import annotations

import os

import pytest

from loadplan.scenarios.runner import _BackgroundPriority


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no nice values here")
def test_background_priority_lowers_the_thread_while_workers_run() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if before > 9:
        pytest.skip("already running at a low priority")
    priority = _BackgroundPriority()
    try:
        assert os.getpriority(os.PRIO_PROCESS, 0) == before + 10
    finally:
        priority.restore()
    if os.geteuid() == 0:  # raising priority back needs privileges
        assert os.getpriority(os.PRIO_PROCESS, 0) == before
