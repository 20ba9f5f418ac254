"""Worker specs: how many connections an open-loop worker opens before the start."""

from __future__ import annotations

from loadplan.engine.client import Target
from loadplan.plan.load import load_plan
from loadplan.scenarios.workers import warm_connections, worker_specs
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
