"""refservice/faults.py: the dice as arithmetic (fake clock), then each switch measured over HTTP.

The HTTP tests assert behaviour with generous bounds, never speed: a delay is at least what was
asked for, a fraction lies within several standard deviations, held requests end with their
stall window.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable

import pytest

from loadplan.refservice.background import RunningService
from loadplan.refservice.config import FaultConfig
from loadplan.refservice.faults import FaultDice

from .support import Http, metric, search_path


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("elapsed", "stall"),
    [(0.0, 0.0), (0.5, 0.0), (9.99, 0.0), (10.0, 1.0), (10.25, 0.75), (11.0, 0.0), (20.5, 0.5)],
)
def test_stall_windows_open_every_period_after_start(elapsed: float, stall: float) -> None:
    clock = Clock()
    dice = FaultDice(FaultConfig(stall_every=10.0, stall_for=1.0), seed=1, clock=clock)
    clock.now += elapsed
    assert dice.roll().stall == pytest.approx(stall)


def test_latency_stays_within_jitter_and_fractions_follow_the_rates() -> None:
    config = FaultConfig(
        added_latency=0.02, added_jitter=0.005, error_rate=0.1, slow_fraction=0.2, slow_latency=1
    )
    dice = FaultDice(config, seed=3)
    rolls = [dice.roll() for _ in range(10_000)]
    assert all(0.015 <= r.latency <= 0.025 for r in rolls)
    assert statistics.mean(r.latency for r in rolls) == pytest.approx(0.02, abs=0.0005)
    assert sum(r.error for r in rolls) == pytest.approx(1000, abs=150)
    assert sum(r.slow == 1 for r in rolls) == pytest.approx(2000, abs=200)


def test_same_seed_same_faults() -> None:
    config = FaultConfig(error_rate=0.5)
    a, b = FaultDice(config, seed=9), FaultDice(config, seed=9)
    assert [a.roll() for _ in range(100)] == [b.roll() for _ in range(100)]


QUERY = search_path("de", "es")


def test_added_latency_delays_every_search_within_its_jitter(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(added_latency="60ms:20ms")
    replies = client.many(svc.url, [QUERY] * 120, concurrency=20)
    assert all(r.status == 200 for r in replies)
    latencies = sorted(r.latency for r in replies)
    assert latencies[0] >= 0.039  # never below latency - jitter
    assert 0.045 <= statistics.median(latencies) <= 0.5
    # The jitter is really there: the delays spread over a good part of the 40 ms window.
    assert latencies[-10] - latencies[10] >= 0.01
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_faults_injected_total", kind="latency") == 120


def test_error_rate_fails_that_fraction_with_500(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(error_rate=0.2)
    replies = client.many(svc.url, [QUERY] * 600, concurrency=8)
    errors = [r for r in replies if r.status == 500]
    assert {r.status for r in replies} == {200, 500}
    # Expected 120, sd ~9.8: +/- 50 cannot flake.
    assert 70 <= len(errors) <= 170
    assert errors[0].json()["error"].startswith("injected fault")
    assert errors[0].headers["x-fault"] == "error"
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_faults_injected_total", kind="error") == len(errors)
    labels = {"route": "/search", "method": "GET", "status": "500"}
    assert metric(text, "refservice_requests_total", **labels) == len(errors)


def test_stall_holds_requests_until_the_window_ends(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(stall_every="500ms", stall_for="200ms")
    replies = []
    until = time.perf_counter() + 1.8  # covers windows at 0.5, 1.0 and 1.5 s after start
    while time.perf_counter() < until:
        replies.append(client.request(svc.url, QUERY))
        time.sleep(0.01)
    held = [r for r in replies if r.latency >= 0.05]
    free = [r for r in replies if r.latency < 0.05]
    assert held
    assert free
    assert max(r.latency for r in held) <= 0.2 + 0.15  # nobody waits longer than a window
    # Held requests end together at window ends: cluster their completion times.
    ends: list[list[float]] = []
    for r in sorted(held, key=lambda r: r.done):
        if ends and r.done - ends[-1][-1] < 0.1:
            ends[-1].append(r.done)
        else:
            ends.append([r.done])
    assert 2 <= len(ends) <= 4
    assert all(c[-1] - c[0] < 0.05 for c in ends)
    # Windows are 0.5 s apart (the 0.2 s window is 40 % of each period).
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(ends)]
    assert all(0.35 <= g <= 0.65 for g in gaps), gaps
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_faults_injected_total", kind="stall") >= len(held)


def test_slow_fraction_delays_that_share_of_requests(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(slow_fraction="0.25:300ms")
    replies = client.many(svc.url, [QUERY] * 240, concurrency=30)
    slow = [r for r in replies if r.latency >= 0.29]
    text = client.get(svc.url, "/metrics").body.decode()
    injected = metric(text, "refservice_faults_injected_total", kind="slow")
    # Expected 60 injected, sd ~6.7. Every injected request is slow; on a loaded machine a few
    # others can queue past 0.29 s too, so the slow count is bounded below by the injected one.
    assert 30 <= injected <= 95
    assert injected <= len(slow) <= injected + 30
