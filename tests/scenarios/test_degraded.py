"""scenarios/degraded.py: how a lost worker ended, and the one line that marks a run degraded."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from loadplan.scenarios.degraded import LostWorker, degraded_reason, how_it_ended


def _exit_with(code: int) -> None:
    os._exit(code)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param(_kill_self, "killed by SIGKILL", id="kill-9"),
        pytest.param(lambda: _exit_with(7), "exit code 7", id="exit-code"),
    ],
)
def test_how_it_ended(target: object, expected: str) -> None:
    proc = multiprocessing.get_context("fork").Process(target=target)  # type: ignore[arg-type]
    proc.start()
    assert how_it_ended(proc) == expected


@pytest.mark.parametrize(
    ("lost", "workers", "expected"),
    [
        pytest.param(
            [LostWorker(1, 2.04, 1, "killed by SIGKILL")],
            2,
            "degraded: worker 1 lost at 2.0 s (killed by SIGKILL); 1 of 2 workers went on, "
            "so the offered load fell short of the plan",
            id="one-of-two",
        ),
        pytest.param(
            [LostWorker(0, 3.0, 2, "exit code 1"), LostWorker(2, 4.5, 3, "killed by SIGKILL")],
            3,
            "degraded: worker 0 lost at 3.0 s (exit code 1); worker 2 lost at 4.5 s (killed by "
            "SIGKILL); 1 of 3 workers went on, so the offered load fell short of the plan",
            id="two-of-three",
        ),
        pytest.param(
            [LostWorker(0, 1.0, 0, "exit code 1")],
            1,
            "degraded: worker 0 lost at 1.0 s (exit code 1); no worker was left, so the offered "
            "load fell short of the plan",
            id="the-only-one",
        ),
    ],
)
def test_degraded_reason(lost: list[LostWorker], workers: int, expected: str) -> None:
    assert degraded_reason(lost, workers) == expected
