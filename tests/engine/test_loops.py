"""The open-loop pacer and the closed-loop users when something under them fails: the run ends
with the error instead of waiting forever for a pacer or a user that is gone."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import uvloop

from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.request import Request
from loadplan.engine.worker import LoopMode, WorkerSpec, run_worker
from loadplan.schedule.stages import RateProfile
from tests.conftest import StubServer


class BrokenSource:
    """Serves the first ``good`` requests, then fails as a bad data row would."""

    def __init__(self, good: int) -> None:
        self.good = good

    def batch(self, start: int, stop: int, worker: int = 0, workers: int = 1) -> list[Request]:
        if start >= self.good:
            msg = f"row {start}: no such column"
            raise KeyError(msg)
        first = start + (worker - start) % workers
        return [Request(target="/x")] * len(range(first, stop, workers))

    def warm(self) -> list[Request]:
        return []


def run(spec: WorkerSpec, good: int) -> float:
    started = time.monotonic()
    with pytest.raises(KeyError, match="no such column"):
        uvloop.run(run_worker(spec, BrokenSource(good), lambda raw: None, lambda: False))
    return time.monotonic() - started


def test_a_failing_source_ends_an_open_loop_run(stub_server: Callable[..., StubServer]) -> None:
    server = stub_server("ok")
    spec = WorkerSpec(
        target=Target.parse(server.url),
        client=ClientSettings(connections=8),
        profile=RateProfile.constant(400, 30),
        start_ns=time.monotonic_ns() + 50_000_000,
    )
    # The pacer builds requests a slice (128) at a time: the second slice fails at ~0.3 s.
    assert run(spec, good=128) < 10


def test_a_failing_source_ends_a_closed_loop_run(stub_server: Callable[..., StubServer]) -> None:
    server = stub_server("ok")
    spec = WorkerSpec(
        target=Target.parse(server.url),
        client=ClientSettings(connections=2),
        mode=LoopMode.CLOSED,
        users=2,
        duration_s=30,
        start_ns=time.monotonic_ns() + 50_000_000,
    )
    # Users take requests 4096 at a time: the second chunk fails.
    assert run(spec, good=4096) < 20
