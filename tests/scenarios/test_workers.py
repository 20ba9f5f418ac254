"""Worker specs: how many connections a worker opens before the start, and each closed-loop
worker's share of the users, step by step."""

from __future__ import annotations

import pytest

from loadplan.engine.client import Target
from loadplan.engine.worker import LoopMode
from loadplan.plan.load import load_plan
from loadplan.plan.model import Plan
from loadplan.scenarios.workers import WARM_USERS, user_share, warm_connections, worker_specs
from loadplan.schedule.stages import RateProfile


def test_enough_connections_for_25_ms_of_the_peak_rate() -> None:
    profile = RateProfile.constant(1000, 10) + RateProfile.spike(1000, 20, 5, 5)
    assert warm_connections(profile, workers=1, cap=1000) == 16 + 500
    assert warm_connections(profile, workers=4, cap=1000) == 16 + 125


def test_never_more_than_the_pool_allows() -> None:
    assert warm_connections(RateProfile.constant(100_000, 1), workers=1, cap=64) == 64


def test_a_replay_without_a_profile_opens_a_few() -> None:
    assert warm_connections(None, workers=1, cap=512) == 16


def test_open_loop_worker_specs_open_connections_for_their_share_of_the_peak() -> None:
    plan, _ = load_plan(
        None,
        {
            ("target", "url"): ("--url", "http://127.0.0.1:9"),
            ("load", "rate"): ("--rate", 20_000),
            ("load", "duration"): ("--duration", "10s"),
            ("load", "workers"): ("--workers", 2),
            ("client", "connections"): ("--connections", 1024),
        },
    )
    specs = worker_specs(plan, start_ns=0)
    assert [s.warm_connections for s in specs] == [16 + 250, 16 + 250]
    # The runner's parsed target is the workers' own: requests encoded for it before the fork
    # are recognised by identity (Pool._send), not re-checked field by field.
    target = Target.parse("http://127.0.0.1:9")
    assert all(s.target is target for s in worker_specs(plan, 0, target=target))


def sweep_plan(users_from: int, users_to: int, users_step: int, workers: int) -> Plan:
    return Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:9"},
            "load": {"workers": workers, "think": "20ms"},
            "client": {"connections": 64},
            "stages": [
                {"type": "sweep", "users_from": users_from, "users_to": users_to,
                 "users_step": users_step, "step_duration": "2s"},
            ],
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("users", "workers", "expected"),
    [
        (7, 2, [4, 3]),
        (7, 3, [3, 2, 2]),
        (2, 3, [1, 1, 0]),
        (0, 2, [0, 0]),
        (9, 3, [3, 3, 3]),
    ],
    ids=["odd-over-two", "seven-over-three", "fewer-users-than-workers", "none", "even"],
)
def test_users_split_exactly(users: int, workers: int, expected: list[int]) -> None:
    shares = [user_share(users, w, workers) for w in range(workers)]
    assert shares == expected
    assert sum(shares) == users


def test_sweep_worker_specs_carry_each_step_with_the_workers_share() -> None:
    specs = worker_specs(sweep_plan(1, 7, 3, workers=2), start_ns=0)
    assert [s.mode for s in specs] == [LoopMode.CLOSED, LoopMode.CLOSED]
    assert [[(u.label, u.start_s, u.end_s, u.users) for u in s.user_steps] for s in specs] == [
        [("sweep-0", 0, 2, 1), ("sweep-1", 2, 4, 2), ("sweep-2", 4, 6, 4)],
        [("sweep-0", 0, 2, 0), ("sweep-1", 2, 4, 2), ("sweep-2", 4, 6, 3)],
    ]
    assert all(u.think_s == 0.02 for s in specs for u in s.user_steps)
    # A user is a connection: one per user of the worker's largest step, all opened ahead.
    assert [(s.client.connections, s.warm_connections) for s in specs] == [(4, 4), (3, 3)]


def test_a_big_sweep_opens_its_first_step_and_a_capped_share_of_the_rest_ahead() -> None:
    (spec,) = worker_specs(sweep_plan(1500, 3000, 1500, workers=1), start_ns=0)
    assert (spec.client.connections, spec.warm_connections) == (3000, 1500)
    (spec,) = worker_specs(sweep_plan(10, 3000, 2990, workers=1), start_ns=0)
    assert (spec.client.connections, spec.warm_connections) == (3000, WARM_USERS)


def test_a_plain_closed_loop_is_one_step_labelled_closed() -> None:
    plan = Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:9"},
            "load": {"mode": "closed", "users": 5, "duration": "3s", "workers": 2},
        }
    )
    specs = worker_specs(plan, start_ns=0)
    assert [[(u.label, u.start_s, u.end_s, u.users) for u in s.user_steps] for s in specs] == [
        [("closed", 0, 3, 3)],
        [("closed", 0, 3, 2)],
    ]
