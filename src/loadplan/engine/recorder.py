"""The recorder: turns outcomes into one ``RawInterval`` per second.

It never reads a clock (contrast locust's ``StatsEntry.log``): callers hand it the three
timestamps of each request, and the worker tells it when an interval ends. Latency is measured
from the *intended* send time (wrk2's rule, so a stalled target cannot hide its stall by slowing
the sender down); service time from the actual send.

The per-request path only appends integers to flat arrays and bumps counters. Closing an interval
swaps the arrays out and hands them over as a ``RawInterval``; the coordinator, in another
process, turns it into histograms (``IntervalSnapshot.from_raw``). Building 30-60 per-tag
HdrHistograms in the worker paused the pacer for 10-20 ms every second (measured), which put a
floor under schedule lag P99; swapping arrays takes microseconds. Memory stays bounded by one
second of requests, whatever the run's length.
"""

from __future__ import annotations

from array import array

from loadplan.engine.interval import RawInterval
from loadplan.engine.request import ErrorClass, Tags, tag_key

_HAS_LATENCY = frozenset(
    {ErrorClass.OK, ErrorClass.HTTP_4XX, ErrorClass.HTTP_5XX, ErrorClass.TIMEOUT}
)
"""Outcomes whose latency means something. A timeout's latency is a lower bound, and is kept so a
target that stops answering pushes the percentiles up rather than vanishing from them; a refused
or reset connection has no latency to speak of and shows up only in the error counts."""


class Recorder:
    """Accumulates one interval of outcomes.

    Two ways in: ``response`` for an HTTP answer (the hot path: its class follows from the
    status, so it is worked out once per interval at ``cut`` rather than per request), and
    ``record`` for everything else.

    Example::

        rec = Recorder()
        rec.record((), intended_ns=0, sent_ns=1_000, done_ns=2_000_000, error=ErrorClass.OK,
                   status=200, bytes_in=512)
        snap = IntervalSnapshot.from_raw(rec.cut(index=0, start_s=0.0, end_s=1.0))
        snap.latency.get_max_value()   # 2000 (µs)
    """

    __slots__ = (
        "_bytes",
        "_due",
        "_errors",
        "_lag",
        "_lag_append",
        "_latency",
        "_latency_append",
        "_responses",
        "_service",
        "_service_append",
        "_statuses",
        "_tag_errors",
        "_tags",
        "sent",
    )

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._latency = array("q")
        self._service = array("q")
        self._lag = array("q")
        # Bound once per interval: an attribute lookup saved on every request.
        self._latency_append = self._latency.append
        self._service_append = self._service.append
        self._lag_append = self._lag.append
        self._tags: dict[Tags, array[int]] = {}
        self._tag_errors: dict[Tags, int] = {}
        self._errors: dict[ErrorClass, int] = {}
        self._statuses: dict[int, int] = {}
        self._responses: dict[int, int] = {}
        self._bytes = 0
        self._due = 0
        self.sent = 0
        """Requests written this interval (the pool bumps it directly: a call per request saved)."""

    def dispatched_all(self, intended_ns: list[int], now_ns: int) -> None:
        """A batch of requests fell due (the offered load) and went to the pool at ``now_ns``,
        each ``now_ns - intended`` late: one call per batch, not per request.

        The lag is the generator's own lateness. Time a request then waits for a free
        connection is the target's doing and is part of its latency, not of this lag.
        """
        self._due += len(intended_ns)
        self._lag.extend([(now_ns - t) // 1000 for t in intended_ns])

    def dispatched_on_time(self) -> None:
        """One request fell due and was handed over at once (closed loop: due when sent)."""
        self._due += 1
        self._lag_append(0)

    def sent_one(self) -> None:
        self.sent += 1

    @property
    def empty(self) -> bool:
        """Nothing fell due, was sent or finished since the last cut."""
        return not (self._due or self.sent or self._errors or self._responses)

    def response(
        self, tags: Tags, intended_ns: int, sent_ns: int, done_ns: int, status: int, bytes_in: int
    ) -> None:
        """Count one HTTP answer: the per-request path, appends and counter bumps only."""
        responses = self._responses
        responses[status] = responses.get(status, 0) + 1
        self._bytes += bytes_in
        latency = (done_ns - intended_ns) // 1000
        self._latency_append(latency)
        self._service_append((done_ns - sent_ns) // 1000)
        if tags:
            buf = self._tags.get(tags)
            if buf is None:
                buf = self._tags[tags] = array("q")
            buf.append(latency)
            if status >= 400:
                self._tag_errors[tags] = self._tag_errors.get(tags, 0) + 1

    def record(
        self,
        tags: Tags,
        intended_ns: int,
        sent_ns: int,
        done_ns: int,
        error: ErrorClass,
        status: int = 0,
        bytes_in: int = 0,
    ) -> None:
        """Count one finished request, however it ended."""
        if status and error is ErrorClass.for_status(status):
            self.response(tags, intended_ns, sent_ns, done_ns, status, bytes_in)
            return
        errors = self._errors
        errors[error] = errors.get(error, 0) + 1
        if status:
            self._statuses[status] = self._statuses.get(status, 0) + 1
        self._bytes += bytes_in
        if error in _HAS_LATENCY:
            latency = (done_ns - intended_ns) // 1000
            self._latency_append(latency)
            self._service_append((done_ns - sent_ns) // 1000)
            if tags:
                buf = self._tags.get(tags)
                if buf is None:
                    buf = self._tags[tags] = array("q")
                buf.append(latency)
        if tags and error is not ErrorClass.OK:
            self._tag_errors[tags] = self._tag_errors.get(tags, 0) + 1

    def cut(
        self,
        index: int,
        start_s: float,
        end_s: float,
        stage: str = "",
        inflight_max: int = 0,
        backlog: int = 0,
        cpu: float = 0.0,
        off_cpu: tuple[float, float] = (0.0, 0.0),
        rss: int = 0,
    ) -> RawInterval:
        """Close the interval and start an empty one (cheap: the arrays are handed over)."""
        errors = {e.value: n for e, n in self._errors.items()}
        statuses = self._statuses
        for status, n in self._responses.items():
            name = ErrorClass.for_status(status).value
            errors[name] = errors.get(name, 0) + n
            statuses[status] = statuses.get(status, 0) + n
        raw = RawInterval(
            index=index,
            start_s=start_s,
            end_s=end_s,
            stage=stage,
            due=self._due,
            sent=self.sent,
            errors=errors,
            statuses=statuses,
            bytes_in=self._bytes,
            latency=self._latency,
            service=self._service,
            lag=self._lag,
            tags={tag_key(k): v for k, v in self._tags.items()},
            tag_errors={tag_key(k): v for k, v in self._tag_errors.items()},
            inflight_max=inflight_max,
            backlog=backlog,
            cpu=cpu,
            waited=off_cpu[0],
            stolen=off_cpu[1],
            rss=rss,
        )
        self._reset()
        return raw
