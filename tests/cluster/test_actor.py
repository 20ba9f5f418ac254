"""The actor's methods as plain calls (no Ray): the same worker a process runs, driven by calls.

Ray only carries these calls to another process; what they do is tested here directly, with a
real server over a real socket, and through Ray in test_ray_runs.py.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from loadplan.cluster.actor import Message, WorkerActor
from loadplan.engine.client import ClientSettings, Target
from loadplan.engine.interval import RawInterval
from loadplan.engine.request import FixedSource, Request
from loadplan.engine.worker import WorkerSpec
from loadplan.schedule.stages import RateProfile
from tests.conftest import StubServer


def test_target_and_client_settings_cross_a_pickle() -> None:
    # A compiled frozen dataclass unpickles only through its constructor (__reduce__).
    target = Target.parse("http://127.0.0.1:8080/base", verify_tls=False)
    # Every field off its default: a field the pickle dropped would come back as the default.
    settings = ClientSettings(
        connections=3,
        connect_timeout=1.5,
        read_timeout=2.5,
        total_timeout=3.5,
        capture_header="X-Cache",
        max_backlog=7,
        max_header_bytes=999,
    )
    assert pickle.loads(pickle.dumps(target)) == target
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_the_actor_runs_a_worker_from_a_start_on_the_coordinators_clock(
    stub_server: Callable[..., StubServer],
) -> None:
    server = stub_server("ok")
    target = Target.parse(server.url)
    actor = WorkerActor()
    assert actor.reach(target.host, target.port, 2.0) is None
    assert actor.load(FixedSource(Request("GET", "/q?x=1")), target) == 1
    t1, t2 = actor.stamps()
    assert t1 <= t2
    spec = WorkerSpec(
        target=target,
        client=ClientSettings(connections=4),
        profile=RateProfile.constant(50, 2.0),
        drain_s=2.0,
    )
    # Named 0.3 s ahead on a clock 100 ms behind this one: the worker starts 0.2 s from now.
    actor.start(spec, time.time_ns() + 300_000_000, offset_ns=-100_000_000)
    messages: list[Message] = []
    deadline = time.monotonic() + 20
    while not any(kind in ("done", "error") for kind, _ in messages):
        assert time.monotonic() < deadline, messages
        messages += actor.take(0.5)
    kinds = [kind for kind, _ in messages]
    assert kinds[-1] == "done", messages
    snaps = [raw for kind, raw in messages if kind == "snap"]
    assert all(isinstance(raw, RawInterval) for raw in snaps)
    assert sum(raw.due for raw in snaps) == 100
    assert sum(raw.sent for raw in snaps) == server.requests_seen() == 100
    assert actor.take(0.0) == []


def test_reach_names_why_the_target_cannot_be_reached() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        assert WorkerActor().reach("127.0.0.1", port, 1.0) == "connection refused"


PRIORITY = """
import os, threading
os.nice(15)                     # as Ray starts its workers
ready = threading.Event()
done = threading.Event()
def ray_thread() -> None:       # a thread that existed before, as Ray's own do
    ready.set()
    done.wait()
t = threading.Thread(target=ray_thread)
t.start()
ready.wait()
from loadplan.cluster.actor import WorkerActor
where = WorkerActor().where()
later = []
threading.Thread(target=lambda: later.append(os.getpriority(os.PRIO_PROCESS, 0))).start()
done.set()
t.join()
threads = [os.getpriority(os.PRIO_PROCESS, int(tid)) for tid in os.listdir("/proc/self/task")]
print(where["nice"], max(threads), later)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="raising a priority needs root (CI runs as root)")
def test_an_actor_started_at_rays_niceness_sends_at_normal_priority() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRIORITY], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    # Reported 0, every thread of the process at 0, and a thread started after at 0 too.
    assert done.stdout.split() == ["0", "0", "[0]"]
