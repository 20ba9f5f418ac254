"""The recorder: turns outcomes into one ``IntervalSnapshot`` per second.

It never reads a clock (contrast locust's ``StatsEntry.log``): callers hand it the three
timestamps of each request, and the worker tells it when an interval ends. Latency is measured
from the *intended* send time (wrk2's rule, so a stalled target cannot hide its stall by slowing
the sender down); service time from the actual send.

The per-request path only appends integers to flat arrays and bumps counters; histograms are
filled once per interval with a vectorized pass (``results.histogram.record_many``). Memory is
bounded by one interval's requests, whatever the run's length.
"""

from __future__ import annotations

from array import array

from hdrh.histogram import HdrHistogram

from loadplan.engine.request import ErrorClass, Tags
from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.snapshot import IntervalSnapshot, tag_key

_HAS_LATENCY = frozenset(
    {ErrorClass.OK, ErrorClass.HTTP_4XX, ErrorClass.HTTP_5XX, ErrorClass.TIMEOUT}
)
"""Outcomes whose latency means something. A timeout's latency is a lower bound, and is kept so a
target that stops answering pushes the percentiles up rather than vanishing from them; a refused
or reset connection has no latency to speak of and shows up only in the error counts."""


class Recorder:
    """Accumulates one interval of outcomes.

    Example::

        rec = Recorder()
        rec.record((), intended_ns=0, sent_ns=1_000, done_ns=2_000_000, error=ErrorClass.OK,
                   status=200, bytes_in=512)
        snap = rec.cut(index=0, start_s=0.0, end_s=1.0)
        snap.latency.get_max_value()   # 2000 (µs)
    """

    __slots__ = (
        "_bytes",
        "_clamped",
        "_due",
        "_errors",
        "_hist_lag",
        "_hist_latency",
        "_hist_service",
        "_hist_tags",
        "_lag",
        "_latency",
        "_sent",
        "_service",
        "_statuses",
        "_tag_errors",
        "_tags",
    )

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._hist_latency = new_histogram()
        self._hist_service = new_histogram()
        self._hist_lag = new_histogram()
        self._hist_tags: dict[Tags, HdrHistogram] = {}
        self._clamped = 0
        self._clear_buffers()
        self._tag_errors: dict[Tags, int] = {}
        self._errors: dict[ErrorClass, int] = {}
        self._statuses: dict[int, int] = {}
        self._bytes = 0
        self._due = 0
        self._sent = 0

    def _clear_buffers(self) -> None:
        self._latency = array("q")
        self._service = array("q")
        self._lag = array("q")
        self._tags: dict[Tags, array[int]] = {}

    def flush(self) -> None:
        """Move buffered values into this interval's histograms.

        The worker calls this several times a second so each pass is small: one big pass at the
        interval's end would pause the pacer for milliseconds at high rates.
        """
        self._clamped += record_many(self._hist_latency, self._latency)
        self._clamped += record_many(self._hist_service, self._service)
        record_many(self._hist_lag, self._lag)
        for key, values in self._tags.items():
            hist = self._hist_tags.get(key)
            if hist is None:
                hist = self._hist_tags[key] = new_histogram()
            record_many(hist, values)
        self._clear_buffers()

    def due(self, n: int) -> None:
        """``n`` requests fell due (the offered load), whether or not they could be sent."""
        self._due += n

    def dispatched(self, intended_ns: int, now_ns: int) -> None:
        """The pacer handed a due request to the pool ``now_ns - intended_ns`` late.

        This is the generator's own lateness. Time a request then waits for a free connection
        is the target's doing and is part of its latency, not of this lag.
        """
        self._lag.append((now_ns - intended_ns) // 1000)

    def sent_one(self) -> None:
        self._sent += 1

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
        """Count one finished request (the hot path: appends and counter bumps only)."""
        errors = self._errors
        errors[error] = errors.get(error, 0) + 1
        if status:
            statuses = self._statuses
            statuses[status] = statuses.get(status, 0) + 1
        self._bytes += bytes_in
        if error in _HAS_LATENCY:
            latency = (done_ns - intended_ns) // 1000
            self._latency.append(latency)
            self._service.append((done_ns - sent_ns) // 1000)
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
    ) -> IntervalSnapshot:
        """Close the interval: build its histograms and start an empty one."""
        self.flush()
        tag_errors = {tag_key(k): v for k, v in self._tag_errors.items()}
        snap = IntervalSnapshot(
            index=index,
            start_s=start_s,
            end_s=end_s,
            stage=stage,
            due=self._due,
            sent=self._sent,
            completed=sum(self._errors.values()),
            errors={e.value: n for e, n in self._errors.items()},
            statuses=dict(self._statuses),
            bytes_in=self._bytes,
            latency=self._hist_latency,
            service=self._hist_service,
            lag=self._hist_lag,
            tags={tag_key(k): h for k, h in self._hist_tags.items()},
            tag_errors=tag_errors,
            inflight_max=inflight_max,
            backlog=backlog,
            cpu=cpu,
            clamped=self._clamped,
        )
        self._reset()
        return snap
