"""What each worker process is given: the target, its share of the pool, the run's profile
(open loop) or its share of the users, step by step (closed loop).

Pure translation of a ``Plan`` into ``WorkerSpec`` values (plus a reachability check the
coordinator makes before it starts anything), kept apart from the process handling in
``runner.py``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.reach import probe
from loadplan.engine.worker import LoopMode, UserStep, WorkerSpec
from loadplan.errors import TargetError
from loadplan.plan.model import Mode, Plan
from loadplan.plan.scenario import Scenario
from loadplan.schedule.arrivals import Arrivals
from loadplan.schedule.stages import RateProfile


def check_reachable(target: Target, timeout_s: float) -> None:
    """Fail fast, with a message a person can act on, when nothing listens at the target."""
    failed = probe(target.host, target.port, timeout_s)
    if failed is None:
        return
    if failed.timed_out:
        fix = "check the host, port and any firewall"
    else:
        fix = f"is the service running on {target.host}:{target.port}?"
    raise TargetError(f"cannot reach {target.url}: {failed.reason}; {fix}")


def worker_specs(
    plan: Plan,
    start_ns: int,
    offsets_s: tuple[float, ...] | None = None,
    target: Target | None = None,
    workers: int | None = None,
) -> list[WorkerSpec]:
    """One spec per worker; ``offsets_s`` (timing replay) replaces the profile's due times.

    ``workers``: how many share the run (default the plan's ``[load] workers``; a cluster's
    actor count when the run is distributed).

    ``target``: the plan's target as already parsed: the requests encoded for it before the
    fork are recognised by the workers' pools by identity, the cheapest check there is.
    """
    load, client = plan.load, plan.client
    n = workers or load.workers
    if target is None:
        target = Target.parse(plan.target.url, verify_tls=not plan.target.insecure)
    per_worker_conns = max(1, -(-client.connections // n))
    settings = ClientSettings(
        connections=per_worker_conns,
        connect_timeout=client.connect_timeout,
        read_timeout=client.read_timeout or client.timeout,
        total_timeout=client.timeout,
        capture_header=client.capture_header,
        max_backlog=max(1, client.max_backlog // n),
    )
    scenario = Scenario.from_plan(plan)
    if plan.loop is Mode.OPEN:
        profile = scenario.profile
        base = WorkerSpec(
            target=target,
            client=settings,
            mode=LoopMode.OPEN,
            profile=profile,
            warm_connections=warm_connections(profile, n, per_worker_conns),
            arrivals=Arrivals(load.arrivals.value),
            seed=load.seed,
            workers=n,
            start_ns=start_ns,
            drain_s=client.timeout,
            offsets_s=offsets_s,
        )
        return [replace(base, worker=w) for w in range(n)]
    specs = []
    for w in range(n):
        steps = tuple(
            UserStep(label, start, end, user_share(users, w, n), stage.think_s)
            for stage in scenario.stages
            for label, (start, end), users in zip(
                stage.labels, stage.spans, stage.users, strict=True
            )
        )
        first, peak = steps[0].users, max(step.users for step in steps)
        specs.append(
            WorkerSpec(
                target=target,
                # A user is a connection, as in wrk: the pool holds one per user of the peak.
                client=replace(settings, connections=max(peak, 1)),
                mode=LoopMode.CLOSED,
                seed=load.seed,
                worker=w,
                workers=n,
                start_ns=start_ns,
                drain_s=client.timeout,
                warm_connections=max(first, min(peak, WARM_USERS)),
                user_steps=steps,
            )
        )
    return specs


def user_share(users: int, worker: int, workers: int) -> int:
    """Worker ``worker``'s share of ``users``: the shares differ by one at most and add up."""
    return users // workers + (1 if worker < users % workers else 0)


WARM_USERS = 1024
"""Closed loop: connections opened before the start for users of later steps, at most.

The first step's users all get theirs (they start at once, and their first second should
measure the target, not handshakes); a sweep's later steps get theirs up to this many, and
open the rest as they start. Thousands of idle connections opened minutes ahead would be
closed by many servers' keep-alive timeouts anyway.
"""


WARM_LATENCY_S = 0.025
"""Connections opened before an open-loop run: enough for this long a stall at the peak rate."""


def warm_connections(profile: RateProfile | None, workers: int, cap: int) -> int:
    """How many connections each worker opens before the start, as wrk opens all of its own.

    Opened on demand instead, at 20,000 req/s the first answers found too few connections,
    and opening hundreds while requests kept falling due put the first half second 10-20 ms
    behind schedule (measured); the late requests then needed more connections still. Enough
    for answers 5 ms slow was not enough either: a worker that loses its core for 10-20 ms (the
    hypervisor's steal, which comes in such pieces) finds the requests that fell due meanwhile
    all wanting a connection at once, and opening 300-400 more mid-run made the first seconds
    at 20,000 req/s 11-27 ms late at P99; with 25 ms worth open before the start, 4-9 ms
    (``loadplan run bench/realistic_workload.toml --rate 20000``, one core).
    """
    if profile is None:
        return min(cap, 16)
    peak = max(max(seg.start, seg.end) for seg in profile.segments)
    return min(cap, 16 + math.ceil(peak / workers * WARM_LATENCY_S))
