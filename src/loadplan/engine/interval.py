"""One worker's second as recorded, on its way to the coordinator.

Its own module, apart from the recorder that fills it, because it crosses a process boundary
(pickled through a pipe) and so stays a plain Python class: the recorder is compiled (see
``build.py``), and a compiled frozen dataclass does not unpickle.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from loadplan.results.histogram import new_histogram, record_many
from loadplan.results.snapshot import IntervalSnapshot


@dataclass(frozen=True, slots=True)
class RawInterval:
    """One worker's second as recorded: counts, and every latency as a plain integer (µs).

    Attributes mirror ``IntervalSnapshot``; ``latency``, ``service``, ``lag`` and the values of
    ``tags`` are the raw values instead of histograms. It pickles compactly (arrays as bytes),
    which is how it crosses from worker to coordinator.
    """

    index: int
    start_s: float
    end_s: float
    stage: str = ""
    due: int = 0
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes_in: int = 0
    latency: array[int] = field(default_factory=lambda: array("q"))
    service: array[int] = field(default_factory=lambda: array("q"))
    lag: array[int] = field(default_factory=lambda: array("q"))
    tags: dict[str, array[int]] = field(default_factory=dict)
    tag_errors: dict[str, int] = field(default_factory=dict)
    inflight_max: int = 0
    backlog: int = 0
    cpu: float = 0.0
    waited: float = 0.0
    stolen: float = 0.0
    rss: int = 0

    def to_snapshot(self, pause: Callable[[], object] = lambda: None) -> IntervalSnapshot:
        """Fill the interval's histograms (one vectorized pass per array).

        ``pause`` is called between histograms: the coordinator passes ``os.sched_yield`` so a
        worker sharing its core gets the CPU back within a fraction of a millisecond.
        """
        latency, service, lag = new_histogram(), new_histogram(), new_histogram()
        clamped = record_many(latency, self.latency) + record_many(service, self.service)
        record_many(lag, self.lag)
        pause()
        tags = {}
        for key, values in self.tags.items():
            hist = new_histogram()
            record_many(hist, values)
            tags[key] = hist
            pause()
        return IntervalSnapshot(
            index=self.index,
            start_s=self.start_s,
            end_s=self.end_s,
            stage=self.stage,
            due=self.due,
            sent=self.sent,
            completed=sum(self.errors.values()),
            errors=self.errors,
            statuses=self.statuses,
            bytes_in=self.bytes_in,
            latency=latency,
            service=service,
            lag=lag,
            tags=tags,
            tag_errors=self.tag_errors,
            inflight_max=self.inflight_max,
            backlog=self.backlog,
            cpu=self.cpu,
            waited=self.waited,
            stolen=self.stolen,
            rss=self.rss,
            clamped=clamped,
            cpu_by_worker=(self.cpu,),
            off_cpu_by_worker=((self.waited, self.stolen),),
        )
