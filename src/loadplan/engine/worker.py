"""One worker: one event loop running the pacer (or the users), the pool and the recorder, and
emitting one ``RawInterval`` per second through a callback.

Workers know nothing of files, terminals or other workers. The coordinator starts N of them (as
processes here, or as Ray actors elsewhere), merges what they emit and decides what to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loadplan.clock import Clock, MonotonicClock
from loadplan.engine.client import ClientSettings, Pool, Target
from loadplan.engine.closed_loop import Users, run_closed_loop
from loadplan.engine.interval import RawInterval
from loadplan.engine.open_loop import run_open_loop
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass, RequestSource
from loadplan.engine.selfwatch import CpuMeter, OffCpuMeter, resident_bytes
from loadplan.schedule.arrivals import Arrivals
from loadplan.schedule.schedule import OffsetSchedule, Schedule
from loadplan.schedule.stages import RateProfile

STOP_GRACE_S = 1.0
"""After a stop, how long answers already in flight are waited for (they count, later ones not)."""


class LoopMode(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class UserStep:
    """Closed loop: how many users a worker runs over a span of the run.

    Attributes:
        label: what the span's seconds are labelled ("sweep-2", "closed").
        start_s: offset of the span's start in the run, whole seconds: the users change as a
            second starts, so that each recorded second is at one concurrency.
        end_s: offset of its end.
        users: this worker's users during the span.
        think_s: each user's pause between an answer and its next request.
    """

    label: str
    start_s: float
    end_s: float
    users: int
    think_s: float = 0.0

    def __post_init__(self) -> None:
        if not float(self.start_s).is_integer() or self.end_s <= self.start_s or self.users < 0:
            msg = (
                f"user step {self.label!r} {self.start_s:g}..{self.end_s:g}s with {self.users} "
                "users: a step starts at a whole second, ends after it, and has users >= 0"
            )
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything one worker needs; the same value for every worker but ``worker``.

    Attributes:
        target: where to send.
        client: pool limits and timeouts for this worker.
        mode: open loop (a rate) or closed loop (users).
        profile: the run's rate profile (open loop); each worker sends its share of it.
        arrivals: uniform or Poisson (open loop).
        seed: seeds arrivals; sources carry their own seed.
        users: this worker's users (closed loop without ``user_steps``).
        think_s: pause between a user's requests (closed loop without ``user_steps``).
        duration_s: run length (closed loop without ``user_steps``; open loop takes it from the
            profile).
        worker: this worker's number, 0-based.
        workers: how many workers share the run.
        start_ns: monotonic time of the run's start, shared by all workers so intervals align.
        drain_s: after the schedule ends, how long to wait for answers still in flight.
        warm_connections: connections opened before the start (closed loop: one per user).
        offsets_s: explicit due times (recorded-timing replay) instead of ``profile``.
        user_steps: closed loop: this worker's users span by span, one after the other from
            0 s (a sweep's steps); empty: ``users`` for ``duration_s``, labelled "closed".
    """

    target: Target
    client: ClientSettings
    mode: LoopMode = LoopMode.OPEN
    profile: RateProfile | None = None
    arrivals: Arrivals = Arrivals.UNIFORM
    seed: int = 0
    users: int = 0
    think_s: float = 0.0
    duration_s: float = 0.0
    worker: int = 0
    workers: int = 1
    start_ns: int = 0
    drain_s: float = 5.0
    warm_connections: int = 16
    offsets_s: tuple[float, ...] | None = None
    user_steps: tuple[UserStep, ...] = ()

    @property
    def steps(self) -> tuple[UserStep, ...]:
        """The closed loop's user schedule, ``users``/``duration_s`` as one step if not given."""
        if self.user_steps:
            return self.user_steps
        return (UserStep(self.mode.value, 0.0, self.duration_s, self.users, self.think_s),)


def run_worker_to_end(
    spec: WorkerSpec,
    source: RequestSource,
    emit: Callable[[RawInterval], None],
    should_stop: Callable[[], bool],
) -> str | None:
    """Run one worker on a uvloop event loop of this thread; None when it finished, else why it
    failed, in one line: what a worker process and a Ray actor both report last."""
    import uvloop

    try:
        uvloop.run(run_worker(spec, source, emit, should_stop))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def run_worker(
    spec: WorkerSpec,
    source: RequestSource,
    emit: Callable[[RawInterval], None],
    should_stop: Callable[[], bool],
    clock: Clock | None = None,
) -> None:
    """Run one worker to the end of its schedule, or until ``should_stop()`` turns true.

    Emits a ``RawInterval`` at every whole second after ``spec.start_ns`` and a last, partial
    one; the receiver turns them into snapshots (``IntervalSnapshot.from_raw``).
    """
    clock = clock or MonotonicClock()
    loop = asyncio.get_running_loop()
    recorder = Recorder()
    pool = Pool(spec.target, spec.client, recorder, loop)
    stop = asyncio.Event()
    cpu = CpuMeter()
    off_cpu = OffCpuMeter()
    profile = spec.profile
    users: Users | None = None
    steps: tuple[UserStep, ...] = ()
    if spec.mode is LoopMode.CLOSED:
        steps = spec.steps
        end_ns = spec.start_ns + int(steps[-1].end_s * 1e9)
        users = Users(source, pool, recorder, clock, spec.worker, spec.workers, end_ns)
    step_at_second = {int(step.start_s): step for step in steps}

    def stage_at(t: float) -> str:
        if steps:
            # Past the end (the answers drained after it) the seconds are the last step's.
            return next((s.label for s in steps if t < s.end_s), steps[-1].label)
        if profile is None:
            return "replay" if spec.offsets_s is not None else spec.mode.value
        return profile.label_at(min(t, profile.duration * (1 - 1e-12)))

    def begin_second(index: int) -> None:
        # Right after the previous second was cut: its in-flight peak is the old step's.
        step = step_at_second.get(index)
        if users is not None and step is not None:
            users.set_users(step.users, step.think_s)

    def cut(index: int, end_s: float) -> None:
        inflight_max, pool.inflight_max = pool.inflight_max, pool.inflight
        raw = recorder.cut(
            index,
            float(index),
            end_s,
            stage=stage_at(index + 0.5),
            inflight_max=inflight_max,
            backlog=pool.backlog,
            cpu=cpu.read(),
            off_cpu=off_cpu.read(),
            rss=resident_bytes(),
        )
        emit(raw)

    next_index = 0

    async def ticker() -> None:
        nonlocal next_index
        await clock.sleep_until(spec.start_ns)
        cpu.read()
        off_cpu.read()
        begin_second(0)
        while True:
            boundary = spec.start_ns + (next_index + 1) * 1_000_000_000
            await clock.sleep_until(boundary)
            cut(next_index, next_index + 1.0)
            next_index += 1
            begin_second(next_index)

    async def watch_stop() -> None:
        while not stop.is_set():
            if should_stop():
                stop.set()
                return
            await asyncio.sleep(0.05)

    pool.start_sweeper()
    await pool.warm_up(spec.warm_connections, deadline_ns=spec.start_ns)
    tick = loop.create_task(ticker())
    watcher = loop.create_task(watch_stop())
    try:
        if spec.mode is LoopMode.OPEN:
            schedule: Schedule | OffsetSchedule
            if spec.offsets_s is not None:
                offsets = np.asarray(spec.offsets_s, dtype=np.float64)
                schedule = OffsetSchedule(offsets, spec.worker, spec.workers)
            elif profile is not None:
                schedule = Schedule(profile, spec.arrivals, spec.seed, spec.worker, spec.workers)
            else:
                msg = "open-loop worker needs a rate profile or explicit offsets"
                raise ValueError(msg)
            await run_open_loop(schedule, source, pool, recorder, clock, spec.start_ns, stop)
            if profile is not None and spec.offsets_s is None:
                # The last request falls due just before the end; the run lasts to the end.
                end_ns = spec.start_ns + int(profile.duration * 1e9)
                while not stop.is_set() and clock.now_ns() < end_ns:
                    await clock.sleep_until(min(end_ns, clock.now_ns() + 50_000_000))
        elif users is not None:
            await run_closed_loop(users, clock, stop)
        # Let the last answers arrive: they belong to the run. After a stop (Ctrl-C, SIGTERM, a
        # breakpoint reached) nothing more is sent, requests still waiting for a connection stay
        # due but unsent, and answers in flight get a short grace: a user who stops a run wants
        # it to end now, and wants what was sent to be counted.
        grace_ns = int(min(spec.drain_s, STOP_GRACE_S) * 1e9)
        drain_until = clock.now_ns() + int(spec.drain_s * 1e9)
        stopping = False
        while pool.inflight or pool.backlog:
            now = clock.now_ns()
            if stop.is_set() and not stopping:
                stopping = True
                pool.discard_pending()
                drain_until = min(drain_until, now + grace_ns)
            if now >= drain_until:
                break
            await asyncio.sleep(0.01)
        if not stop.is_set():
            # Still unanswered after the drain: these requests timed out as far as the run goes.
            for conn in list(pool.busy):
                conn.abort(ErrorClass.TIMEOUT)
            pool.fail_pending(ErrorClass.TIMEOUT)
    finally:
        tick.cancel()
        watcher.cancel()
        for task in (tick, watcher):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # A schedule that ends on a whole second can finish in the same instant the ticker
        # wakes to cut that second, and be first: the second is whole and is cut as one (as
        # the ticker would have, a moment late as it always is), not left to look partial.
        elapsed = (clock.now_ns() - spec.start_ns) / 1e9
        if elapsed >= next_index + 1:
            cut(next_index, next_index + 1.0)
            next_index += 1
        # The final, partial interval: whatever happened since the last whole second. A worker
        # that finished just past a second's boundary has nothing in it: no row for that.
        if not recorder.empty or next_index == 0:
            cut(next_index, max(elapsed, float(next_index)))
        pool.close()
