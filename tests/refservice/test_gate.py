"""refservice/gate.py: the FIFO gate as asyncio code (no sleeps), then the cap over HTTP.

The HTTP test asserts what the cap makes impossible, never speed: with 2 slots held 100 ms each,
the k-th answer of 6 cannot come back before ceil(k / 2) rounds of 100 ms after the first send,
and while they wait /metrics shows 2 holding and 4 queued.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable

import pytest

from loadplan.refservice.background import RunningService
from loadplan.refservice.gate import ConcurrencyGate

from .support import Http, metric, search_path


async def _settle() -> None:
    """Let every ready task run until it blocks (a few loop turns, no clock)."""
    for _ in range(10):
        await asyncio.sleep(0)


def test_slots_go_to_waiters_in_arrival_order() -> None:
    async def scenario() -> tuple[list[int], list[tuple[int, int]]]:
        gate = ConcurrencyGate(2)
        order: list[int] = []
        counts: list[tuple[int, int]] = []
        release = [asyncio.Event() for _ in range(6)]

        async def request(i: int) -> None:
            async with gate:
                order.append(i)
                await release[i].wait()

        tasks = []
        for i in range(6):
            tasks.append(asyncio.create_task(request(i)))
            await _settle()  # each arrives after the previous one queued
        counts.append((gate.inflight, gate.waiting))
        for i in (1, 0, 2, 3, 4, 5):  # finishing out of order hands slots on in arrival order
            release[i].set()
            await _settle()
            counts.append((gate.inflight, gate.waiting))
        await asyncio.gather(*tasks)
        return order, counts

    order, counts = asyncio.run(scenario())
    assert order == [0, 1, 2, 3, 4, 5]
    assert counts == [(2, 4), (2, 3), (2, 2), (2, 1), (2, 0), (1, 0), (0, 0)]


def test_a_newcomer_does_not_overtake_a_waiter_handed_a_slot() -> None:
    async def scenario() -> list[str]:
        gate = ConcurrencyGate(1)
        order: list[str] = []
        await gate.acquire()
        waiter = asyncio.create_task(_enter(gate, order, "waiter"))
        await _settle()
        gate.release()  # the slot goes to the waiter, which has not run yet
        newcomer = asyncio.create_task(_enter(gate, order, "newcomer"))
        await asyncio.gather(waiter, newcomer)
        return order

    assert asyncio.run(scenario()) == ["waiter", "newcomer"]


async def _enter(gate: ConcurrencyGate, order: list[str], name: str) -> None:
    async with gate:
        order.append(name)
        await asyncio.sleep(0)


@pytest.mark.parametrize("handed_over", [False, True], ids=["while-queued", "after-hand-over"])
def test_a_cancelled_waiter_leaves_no_slot_taken(handed_over: bool) -> None:
    async def scenario() -> tuple[int, int, list[str]]:
        gate = ConcurrencyGate(1)
        order: list[str] = []
        await gate.acquire()
        first = asyncio.create_task(_enter(gate, order, "cancelled"))
        await _settle()
        second = asyncio.create_task(_enter(gate, order, "next"))
        await _settle()
        if handed_over:
            gate.release()  # the slot is set on the first waiter's future ...
            first.cancel()  # ... and its task is cancelled before it resumes
        else:
            first.cancel()
            await _settle()
            assert (gate.inflight, gate.waiting) == (1, 1)
            gate.release()
        await asyncio.gather(first, second, return_exceptions=True)
        return gate.inflight, gate.waiting, order

    assert asyncio.run(scenario()) == (0, 0, ["next"])


def test_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency = 0: must be >= 1"):
        ConcurrencyGate(0)


QUERY = search_path("de", "es")


def test_cap_of_two_serves_six_requests_in_three_rounds(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(added_latency="100ms", max_concurrency=2, cache="none")
    seen: list[tuple[float, ...]] = []
    stop = threading.Event()

    def watch() -> None:
        # A separate connection: /metrics is not behind the gate, so it answers while 6 wait.
        watcher = Http()
        deadline = time.monotonic() + 20
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                text = watcher.get(svc.url, "/metrics").body.decode()
                figures = tuple(
                    metric(text, f"refservice_{name}")
                    for name in ("max_concurrency", "inflight", "queue_waiting")
                )
                seen.append(figures)
                if figures[1] + figures[2] == 6:
                    return
                time.sleep(0.005)
        finally:
            watcher.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        replies = client.many(svc.url, [QUERY] * 6, concurrency=6)
    finally:
        stop.set()
        watcher.join(30)
    assert [r.status for r in replies] == [200] * 6
    assert (2.0, 2.0, 4.0) in seen, seen[-5:]
    assert all(inflight <= 2 for _, inflight, _ in seen)
    # Two slots, each held >= 100 ms, none before the first send: the k-th answer to come back
    # cannot be earlier than ceil(k / 2) rounds of 100 ms after it.
    first_sent = min(r.done - r.latency for r in replies)
    for k, done in enumerate(sorted(r.done for r in replies), start=1):
        assert done - first_sent >= math.ceil(k / 2) * 0.1 - 0.002, (k, done - first_sent)
    assert max(r.latency for r in replies) < 10  # bounded: the queue drains
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_inflight") == 0
    assert metric(text, "refservice_queue_waiting") == 0
    assert metric(text, "refservice_requests_total", route="/search", status="200") == 6


def test_without_a_cap_the_gate_is_absent(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(added_latency="50ms")
    replies = client.many(svc.url, [QUERY] * 6, concurrency=6)
    assert [r.status for r in replies] == [200] * 6
    text = client.get(svc.url, "/metrics").body.decode()
    assert "refservice_max_concurrency" not in text
    assert "refservice_queue_waiting" not in text
