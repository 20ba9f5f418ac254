"""The workers of a run as Ray actors spread over a cluster's nodes.

``prepare`` joins the cluster, places one actor per bundle of a SPREAD placement group (one per
CPU by default, so each node gets its share), checks from every actor that the target answers a
TCP connect, measures each actor's clock against the coordinator's (``clock_sync``), and hands
each the request source through Ray's object store. ``start`` names the common start on the
coordinator's wall clock; each actor turns it into its own clock. Reports come back by long
polling: one ``take`` call outstanding per actor, answered as soon as the actor has a second.

An actor that dies (its process killed, its node lost) surfaces as ``RayActorError`` on its
outstanding call: reported LOST, and the run goes on with the others (degraded, exit 3), every
second the lost one reported kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from loadplan.cluster.actor import Message, WorkerActor
from loadplan.cluster.clock_sync import EXCHANGES, ClockOffset, Exchange, check_skew
from loadplan.cluster.connect import connect, import_ray
from loadplan.engine.client import Target
from loadplan.engine.fleet import Report, ReportKind
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import RequestSource
from loadplan.engine.worker import WorkerSpec
from loadplan.errors import ClusterError
from loadplan.plan.model import ClusterSpec

TAKE_WAIT_S = 2.0
"""How long an actor holds a ``take`` open waiting for its next second: longer than a second, so
each actor costs the coordinator about one call a second (each call is most of its cost)."""


class _Health:
    """One actor's seconds as it reported them: how busy it was, how late its requests went."""

    __slots__ = ("cpu_max", "cpu_sum", "lag_p99_max_us", "rss_max", "seconds")

    def __init__(self) -> None:
        self.seconds = 0
        self.cpu_sum = 0.0
        self.cpu_max = 0.0
        self.lag_p99_max_us = 0.0
        self.rss_max = 0

    def see(self, raw: RawInterval) -> None:
        self.seconds += 1
        self.cpu_sum += raw.cpu
        self.cpu_max = max(self.cpu_max, raw.cpu)
        self.rss_max = max(self.rss_max, raw.rss)
        if len(raw.lag):
            lag = np.frombuffer(raw.lag, dtype=np.int64)
            k = min(len(lag) - 1, int(0.99 * len(lag)))  # the 99th percentile, lower value
            self.lag_p99_max_us = max(self.lag_p99_max_us, float(np.partition(lag, k)[k]))

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "cpu_mean": round(self.cpu_sum / self.seconds, 3) if self.seconds else 0.0,
            "cpu_max": round(self.cpu_max, 3),
            "lag_p99_max_ms": round(self.lag_p99_max_us / 1000, 3),
            "rss_max_mb": round(self.rss_max / 1e6, 1),
        }


class RayFleet:
    """A run's workers as Ray actors on the cluster ``spec.ray`` names."""

    def __init__(self, spec: ClusterSpec, connect_timeout_s: float) -> None:
        if spec.ray is None:
            msg = "a Ray fleet needs [cluster] ray (local, auto or an address)"
            raise ValueError(msg)
        self._spec = spec
        self._address = spec.ray
        self._connect_timeout_s = connect_timeout_s
        self._ray = import_ray()
        self._joined = False
        self._actors: list[Any] = []
        self._group: Any = None
        self._where: list[dict[str, Any]] = []
        self._clocks: list[ClockOffset] = []
        self._pending: dict[Any, int] = {}
        self._live: set[int] = set()
        self._lost: dict[int, str] = {}
        self._flags: list[str] = []
        self._cpus = 1.0
        self._health: list[_Health] = []

    @property
    def size(self) -> int:
        return len(self._actors)

    @property
    def lead_ns(self) -> int:
        # The start call reaches each actor within a round trip; each then opens its warm
        # connections before the start, as a forked worker does.
        worst_rtt = max((c.delay_ns for c in self._clocks), default=0)
        return 500_000_000 + 20_000_000 * self.size + 4 * worst_rtt

    def prepare(self, target: Target, source: RequestSource) -> dict[str, Any]:
        ray = self._ray
        self._joined = connect(self._address, self._connect_timeout_s)
        try:
            self._place()
            self._check_reach(target)
            self._measure_clocks()
            ref = ray.put(source)
            self._get([a.load.remote(ref, target) for a in self._actors], "load the workload")
        except BaseException:
            self.close()
            raise
        return self._describe()

    def _place(self) -> None:
        ray = self._ray
        from ray.util.placement_group import placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        total = float(ray.cluster_resources().get("CPU", 0.0))
        if total <= 0:
            msg = f"--ray {self._address}: the cluster has no CPUs to place actors on"
            raise ClusterError(msg)
        n = self._spec.workers or max(1, int(total))
        # More actors than CPUs (to test many actors on a small machine): each gets a share.
        self._cpus = min(1.0, math.floor(total / n * 1000) / 1000)
        self._group = placement_group([{"CPU": self._cpus}] * n, strategy="SPREAD")
        ready, _ = ray.wait([self._group.ready()], timeout=self._spec.start_timeout)
        if not ready:
            msg = (
                f"--ray {self._address}: {n} actors of {self._cpus:g} CPU could not be placed "
                f"within {self._spec.start_timeout:g}s (the cluster has {total:g} CPUs); ask "
                "for fewer with --ray-workers, or free or add nodes"
            )
            raise ClusterError(msg)
        actor_class = ray.remote(WorkerActor)
        self._actors = [
            actor_class.options(
                num_cpus=self._cpus,
                max_restarts=0,
                max_concurrency=4,
                scheduling_strategy=PlacementGroupSchedulingStrategy(
                    placement_group=self._group, placement_group_bundle_index=i
                ),
            ).remote()
            for i in range(n)
        ]
        self._where = self._get([a.where.remote() for a in self._actors], "start")
        # The address each node joined the cluster with, not the actor's guess of its own.
        addresses = {n["NodeID"]: n.get("NodeManagerAddress", "") for n in ray.nodes()}
        for where in self._where:
            where["ip"] = addresses.get(where["node_id"]) or where["ip"]
        self._live = set(range(n))
        self._health = [_Health() for _ in range(n)]

    def _get(self, refs: list[Any], what: str) -> list[Any]:
        ray = self._ray
        try:
            return list(ray.get(refs, timeout=self._spec.start_timeout))
        except ray.exceptions.GetTimeoutError:
            msg = (
                f"--ray {self._address}: the actors did not {what} within "
                f"{self._spec.start_timeout:g}s; is loadplan installed on every node?"
            )
            raise ClusterError(msg) from None
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f"--ray {self._address}: the actors could not {what}: {first}"
            raise ClusterError(msg) from None

    def _who(self, worker: int) -> str:
        where = self._where[worker] if worker < len(self._where) else {}
        node = str(where.get("node_id", ""))[:8]
        return f"actor {worker} on node {where.get('ip', '?')} ({node})"

    def _check_reach(self, target: Target) -> None:
        timeout = self._connect_timeout_s
        calls = [a.reach.remote(target.host, target.port, timeout) for a in self._actors]
        for worker, why in enumerate(self._get(calls, "reach the target")):
            if why is not None:
                msg = (
                    f"{self._who(worker)} cannot reach {target.url}: {why}; every node must "
                    f"reach the target (check its address, port and firewalls from that node)"
                )
                raise ClusterError(msg)

    def _measure_clocks(self) -> None:
        ray = self._ray
        clocks = []
        for actor in self._actors:
            exchanges = []
            for _ in range(EXCHANGES):
                t0 = time.time_ns()
                t1, t2 = ray.get(actor.stamps.remote(), timeout=self._spec.start_timeout)
                exchanges.append(Exchange(t0, t1, t2, time.time_ns()))
            clocks.append(ClockOffset.best_of(exchanges))
        self._clocks = clocks
        spec = self._spec
        named = [(self._who(w), c) for w, c in enumerate(clocks)]
        self._flags = check_skew(named, spec.max_clock_skew, spec.on_skew)

    def _describe(self) -> dict[str, Any]:
        nodes: dict[str, dict[str, Any]] = {}
        for worker, where in enumerate(self._where):
            node = nodes.setdefault(
                where["node_id"],
                {"node_id": where["node_id"], "ip": where["ip"], "host": where["host"]},
            )
            node.setdefault("actors", []).append(worker)
        return {
            "ray": self._address,
            "placement": "SPREAD",
            "cpus_per_actor": self._cpus,
            "nodes": list(nodes.values()),
            "actors": [
                {"worker": w, **where, **self._clocks[w].to_json()}
                for w, where in enumerate(self._where)
            ],
            "max_clock_skew_ms": self._spec.max_clock_skew * 1000,
            "on_skew": self._spec.on_skew.value,
            "clock_flags": self._flags,
        }

    def start(self, specs: Sequence[WorkerSpec]) -> None:
        # The start, named on this process's wall clock: the one clock the actors share with it.
        now_wall, now_mono = time.time_ns(), time.monotonic_ns()
        for spec, actor, clock in zip(specs, self._actors, self._clocks, strict=True):
            start_wall = now_wall + (spec.start_ns - now_mono)
            actor.start.remote(spec, start_wall, clock.offset_ns)
        for worker, actor in enumerate(self._actors):
            self._pending[actor.take.remote(TAKE_WAIT_S)] = worker

    def reports(self, timeout_s: float) -> list[Report]:
        ray = self._ray
        if not self._pending:
            return []
        refs = list(self._pending)
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout_s)
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        out: list[Report] = []
        for ref in ready:
            worker = self._pending.pop(ref)
            try:
                messages: list[Message] = ray.get(ref)
            except ray.exceptions.RayError as exc:
                why = _lost_why(exc)
                self._lost[worker] = why
                self._live.discard(worker)
                out.append(Report(worker, ReportKind.LOST, why=why))
                continue
            finished = False
            for kind, payload in messages:
                if kind == "snap":
                    self._health[worker].see(payload)
                    out.append(Report(worker, ReportKind.SNAP, raw=payload))
                elif kind == "error":
                    out.append(Report(worker, ReportKind.ERROR, why=str(payload)))
                    finished = True
                else:
                    out.append(Report(worker, ReportKind.DONE))
                    finished = True
            if finished:
                self._live.discard(worker)
            else:
                self._pending[self._actors[worker].take.remote(TAKE_WAIT_S)] = worker
        return out

    def stop(self) -> None:
        for worker in self._live:
            self._actors[worker].stop.remote()

    def close(self) -> dict[str, Any] | None:
        ray = self._ray
        after = self._after() if self._health else None
        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception:  # already gone; nothing to free
                continue
        if self._group is not None:
            from ray.util.placement_group import remove_placement_group

            try:
                remove_placement_group(self._group)
            except Exception:  # the cluster is gone; nothing to free
                self._group = None
        self._actors, self._pending, self._group = [], {}, None
        if self._joined:
            ray.shutdown()
            self._joined = False
        return after

    def _after(self) -> dict[str, Any]:
        """The fleet after the run: its nodes, each actor's health, the busiest named."""
        actors = [
            {
                "worker": w,
                "node_ip": where.get("ip", ""),
                "node_id": where.get("node_id", ""),
                "pid": where.get("pid"),
                "nice": where.get("nice"),
                **self._health[w].to_json(),
                **({"lost": self._lost[w]} if w in self._lost else {}),
            }
            for w, where in enumerate(self._where)
        ]
        busiest = max(actors, key=lambda a: (a["cpu_mean"], a["lag_p99_max_ms"]))
        nodes = sorted({(a["node_ip"], a["node_id"]) for a in actors})
        return {
            "ray": self._address,
            "nodes": [{"ip": ip, "node_id": node} for ip, node in nodes],
            "actors": actors,
            "busiest": busiest["worker"],
            "lost": sorted(self._lost),
        }


def _lost_why(exc: BaseException) -> str:
    """A lost actor's cause as a person reads it: Ray's first line, without its traceback."""
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if "died" in line or "dead" in line or "lost" in line or "killed" in line:
            return f"actor lost: {line[:200]}"
    first = text.splitlines()[0][:200] if text else type(exc).__name__
    return f"actor lost: {first}"
