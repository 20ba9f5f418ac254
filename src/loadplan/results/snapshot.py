"""One second of a run: the unit that workers emit, the run log stores and sinks display.

Snapshots merge exactly: counts add, histograms add bucket by bucket (HdrHistogram ``add``), so
the seconds of N workers, or of N machines, combine into the seconds of one run without loss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from loadplan.engine.interval import RawInterval
from loadplan.engine.request import ErrorClass
from loadplan.results.histogram import merged, new_histogram, percentiles_ms, record_many


def parse_tag_key(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(";") if "=" in part)


@dataclass(frozen=True, slots=True)
class IntervalSnapshot:
    """What one worker (or a merge of workers) saw in one interval.

    Attributes:
        index: interval number from the run's start (interval k covers [k, k+1) seconds).
        start_s: interval start, seconds from the run's start.
        end_s: interval end, seconds from the run's start.
        stage: label of the stage the interval belongs to.
        due: requests the schedule made due in the interval (the offered load).
        sent: requests written to the wire in the interval.
        completed: requests that ended in the interval (any outcome).
        errors: completed requests by ``ErrorClass`` value (``ok`` included).
        statuses: completed requests by HTTP status code.
        bytes_in: response bytes received.
        latency: completion - intended, µs (CO-correct); responses and timeouts.
        service: completion - sent, µs (what a closed-loop tool would report).
        lag: sent - intended, µs: how late the generator was.
        tags: latency histograms per tag combination (``tag_key`` of the tags).
        tag_errors: per tag combination, completed requests that were not ``ok``.
        inflight_max: highest number of requests in flight during the interval.
        backlog: requests due but not yet sent at the interval's end (waiting for a connection).
        cpu: the generator processes' CPU use over the interval, 1.0 = one full core.
        waited: seconds the workers were runnable but queued behind other processes.
        stolen: seconds the hypervisor took the workers' CPUs (coarse: clock ticks).
        rss: the generator's resident memory at the interval's end, bytes: its workers' and,
            once the coordinator has merged the second, the coordinator's own.
        clamped: values outside the histogram range, clamped into it.
        workers: how many workers contributed.
        cpu_by_worker: each worker's ``cpu``, in merge order.
        off_cpu_by_worker: each worker's (``waited``, ``stolen``) seconds, in merge order.
    """

    index: int
    start_s: float
    end_s: float
    stage: str = ""
    due: int = 0
    sent: int = 0
    completed: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)
    statuses: Mapping[int, int] = field(default_factory=dict)
    bytes_in: int = 0
    latency: HdrHistogram = field(default_factory=new_histogram)
    service: HdrHistogram = field(default_factory=new_histogram)
    lag: HdrHistogram = field(default_factory=new_histogram)
    tags: Mapping[str, HdrHistogram] = field(default_factory=dict)
    tag_errors: Mapping[str, int] = field(default_factory=dict)
    inflight_max: int = 0
    backlog: int = 0
    cpu: float = 0.0
    waited: float = 0.0
    stolen: float = 0.0
    rss: int = 0
    clamped: int = 0
    workers: int = 1
    cpu_by_worker: tuple[float, ...] = ()
    off_cpu_by_worker: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_raw(
        cls, raw: RawInterval, pause: Callable[[], object] = lambda: None
    ) -> IntervalSnapshot:
        """Fill the interval's histograms (one vectorized pass per array).

        ``pause`` is called between histograms: the coordinator passes ``os.sched_yield`` so a
        worker sharing its core gets the CPU back within a fraction of a millisecond.
        """
        latency, service, lag = new_histogram(), new_histogram(), new_histogram()
        clamped = record_many(latency, raw.latency) + record_many(service, raw.service)
        record_many(lag, raw.lag)
        pause()
        tags = {}
        for key, values in raw.tags.items():
            hist = new_histogram()
            record_many(hist, values)
            tags[key] = hist
            pause()
        return cls(
            index=raw.index,
            start_s=raw.start_s,
            end_s=raw.end_s,
            stage=raw.stage,
            due=raw.due,
            sent=raw.sent,
            completed=sum(raw.errors.values()),
            errors=raw.errors,
            statuses=raw.statuses,
            bytes_in=raw.bytes_in,
            latency=latency,
            service=service,
            lag=lag,
            tags=tags,
            tag_errors=raw.tag_errors,
            inflight_max=raw.inflight_max,
            backlog=raw.backlog,
            cpu=raw.cpu,
            waited=raw.waited,
            stolen=raw.stolen,
            rss=raw.rss,
            clamped=clamped,
            cpu_by_worker=(raw.cpu,),
            off_cpu_by_worker=((raw.waited, raw.stolen),),
        )

    @classmethod
    def from_raws(
        cls, raws: Sequence[RawInterval], pause: Callable[[], object] = lambda: None
    ) -> IntervalSnapshot:
        """The merge of several workers' same second, straight from their raw values: each
        figure's histogram is built once from all workers' values together.

        The same snapshot as ``merge_snapshots`` of each worker's ``from_raw`` (a value lands
        in the same bucket whichever worker recorded it), for a fraction of the work: an empty
        histogram is 184 KB of counts to allocate and zero, and one per tag per worker per
        second, then added bucket by bucket, was most of a coordinator's time with many
        workers (docs/performance/distributed.md).
        """
        if not raws:
            msg = "from_raws needs at least one raw interval"
            raise ValueError(msg)
        if len(raws) == 1:
            return cls.from_raw(raws[0], pause)
        first = raws[0]
        latency, service, lag = new_histogram(), new_histogram(), new_histogram()
        clamped = 0
        for raw in raws:
            clamped += record_many(latency, raw.latency) + record_many(service, raw.service)
            record_many(lag, raw.lag)
        pause()
        tags: dict[str, HdrHistogram] = {}
        for key in sorted({k for raw in raws for k in raw.tags}):
            hist = new_histogram()
            for raw in raws:
                if key in raw.tags:
                    record_many(hist, raw.tags[key])
            tags[key] = hist
            pause()
        errors: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        tag_errors: Counter[str] = Counter()
        for raw in raws:
            errors.update(raw.errors)
            statuses.update(raw.statuses)
            tag_errors.update(raw.tag_errors)
        return cls(
            index=first.index,
            start_s=min(r.start_s for r in raws),
            end_s=max(r.end_s for r in raws),
            stage=first.stage,
            due=sum(r.due for r in raws),
            sent=sum(r.sent for r in raws),
            completed=sum(errors.values()),
            errors=dict(errors),
            statuses=dict(statuses),
            bytes_in=sum(r.bytes_in for r in raws),
            latency=latency,
            service=service,
            lag=lag,
            tags=tags,
            tag_errors=dict(tag_errors),
            inflight_max=sum(r.inflight_max for r in raws),
            backlog=sum(r.backlog for r in raws),
            cpu=sum(r.cpu for r in raws),
            waited=sum(r.waited for r in raws),
            stolen=sum(r.stolen for r in raws),
            rss=sum(r.rss for r in raws),
            clamped=clamped,
            workers=len(raws),
            cpu_by_worker=tuple(r.cpu for r in raws),
            off_cpu_by_worker=tuple((r.waited, r.stolen) for r in raws),
        )

    @classmethod
    def from_logged(
        cls, row: Mapping[str, Any], hists: Mapping[str, HdrHistogram]
    ) -> IntervalSnapshot:
        """A second read back from the run directory: its snapshots.jsonl ``row`` (``summary``)
        and its latency.hlog histograms by tag there ("" latency, "service", "lag",
        "latency;<tags>")."""
        tags = {k[len("latency;") :]: h for k, h in hists.items() if k.startswith("latency;")}
        return cls(
            index=int(row["index"]),
            start_s=float(row["start_s"]),
            end_s=float(row["end_s"]),
            stage=str(row.get("stage", "")),
            due=int(row.get("due", 0)),
            sent=int(row.get("sent", 0)),
            completed=int(row.get("completed", 0)),
            errors={str(k): int(v) for k, v in row.get("errors", {}).items()},
            statuses={int(k): int(v) for k, v in row.get("statuses", {}).items()},
            bytes_in=int(row.get("bytes_in", 0)),
            latency=hists.get("") or new_histogram(),
            service=hists.get("service") or new_histogram(),
            lag=hists.get("lag") or new_histogram(),
            tags=tags,
            tag_errors={
                k: int(v.get("errors", 0))
                for k, v in row.get("tags", {}).items()
                if v.get("errors")
            },
            inflight_max=int(row.get("inflight_max", 0)),
            backlog=int(row.get("backlog", 0)),
            cpu=float(row.get("cpu", 0.0)),
            waited=float(row.get("waited_ms", 0.0)) / 1000,
            stolen=float(row.get("stolen_ms", 0.0)) / 1000,
            rss=int(float(row.get("rss_mb", 0.0)) * 2**20),
            clamped=int(row.get("clamped", 0)),
            workers=int(row.get("workers", 1)),
            cpu_by_worker=tuple(float(c) for c in row.get("cpu_by_worker", ())),
            off_cpu_by_worker=tuple(
                (float(w) / 1000, float(t) / 1000) for w, t in row.get("off_cpu_ms_by_worker", ())
            ),
        )

    def busiest_worker(self) -> tuple[float, tuple[float, float]]:
        """The busiest worker's CPU (1.0 = its whole core), and the (waited, stolen) seconds of
        the worker kept off its CPU the longest.

        Whether the generator saturated is a question about one worker, not the average: one
        worker at 100 % beside one at 40 % is a saturated generator, not a 70 % one.
        """
        waited_stolen = (self.waited, self.stolen)
        return _busiest(
            self.workers, self.cpu, self.cpu_by_worker, self.off_cpu_by_worker, waited_stolen
        )

    @property
    def ok(self) -> int:
        return self.errors.get(ErrorClass.OK.value, 0)

    @property
    def failed(self) -> int:
        return self.completed - self.ok

    @property
    def duration_s(self) -> float:
        return max(self.end_s - self.start_s, 1e-9)

    def summary(self) -> dict[str, Any]:
        """The JSON-lines record: counts and percentiles, readable without HdrHistogram tools."""
        return {
            "index": self.index,
            "start_s": round(self.start_s, 6),
            "end_s": round(self.end_s, 6),
            "stage": self.stage,
            "due": self.due,
            "sent": self.sent,
            "completed": self.completed,
            "errors": dict(self.errors),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "bytes_in": self.bytes_in,
            "latency_ms": percentiles_ms(self.latency),
            "service_ms": percentiles_ms(self.service),
            "lag_ms": percentiles_ms(self.lag),
            "tags": {
                k: {"count": h.get_total_count(), "errors": self.tag_errors.get(k, 0)}
                | percentiles_ms(h)
                for k, h in self.tags.items()
            },
            "inflight_max": self.inflight_max,
            "backlog": self.backlog,
            "cpu": round(self.cpu, 4),
            "waited_ms": round(self.waited * 1000, 3),
            "stolen_ms": round(self.stolen * 1000, 3),
            "rss_mb": round(self.rss / 2**20, 3),
            "clamped": self.clamped,
            "workers": self.workers,
            "cpu_by_worker": [round(c, 4) for c in self.cpu_by_worker],
            "off_cpu_ms_by_worker": [
                [round(w * 1000, 3), round(t * 1000, 3)] for w, t in self.off_cpu_by_worker
            ],
        }


def merge_snapshots(snaps: Iterable[IntervalSnapshot]) -> IntervalSnapshot:
    """Merge snapshots of the same interval from different workers (counts add exactly)."""
    items = list(snaps)
    if not items:
        msg = "merge_snapshots needs at least one snapshot"
        raise ValueError(msg)
    if len(items) == 1:
        return items[0]  # one worker: nothing to add (snapshots are values; sharing is safe)
    first = items[0]
    errors: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    tag_errors: Counter[str] = Counter()
    tag_names = sorted({k for s in items for k in s.tags})
    for s in items:
        errors.update(s.errors)
        statuses.update(s.statuses)
        tag_errors.update(s.tag_errors)
    return IntervalSnapshot(
        index=first.index,
        start_s=min(s.start_s for s in items),
        end_s=max(s.end_s for s in items),
        stage=first.stage,
        due=sum(s.due for s in items),
        sent=sum(s.sent for s in items),
        completed=sum(s.completed for s in items),
        errors=dict(errors),
        statuses=dict(statuses),
        bytes_in=sum(s.bytes_in for s in items),
        latency=merged([s.latency for s in items]),
        service=merged([s.service for s in items]),
        lag=merged([s.lag for s in items]),
        tags={k: merged([s.tags[k] for s in items if k in s.tags]) for k in tag_names},
        tag_errors=dict(tag_errors),
        inflight_max=sum(s.inflight_max for s in items),
        backlog=sum(s.backlog for s in items),
        cpu=sum(s.cpu for s in items),
        waited=sum(s.waited for s in items),
        stolen=sum(s.stolen for s in items),
        rss=sum(s.rss for s in items),
        clamped=sum(s.clamped for s in items),
        workers=sum(s.workers for s in items),
        cpu_by_worker=tuple(c for s in items for c in s.cpu_by_worker),
        off_cpu_by_worker=tuple(o for s in items for o in s.off_cpu_by_worker),
    )


def busiest_worker(row: Mapping[str, Any]) -> tuple[float, tuple[float, float]]:
    """From a snapshots.jsonl row: the busiest worker's CPU, and the (waited, stolen) seconds of
    the worker kept off its CPU the longest. Rows written before per-worker figures were kept
    give the average over workers."""
    return _busiest(
        int(row.get("workers", 1)),
        float(row.get("cpu", 0.0)),
        [float(c) for c in row.get("cpu_by_worker", ())],
        [(float(w) / 1000, float(t) / 1000) for w, t in row.get("off_cpu_ms_by_worker", ())],
        (float(row.get("waited_ms", 0.0)) / 1000, float(row.get("stolen_ms", 0.0)) / 1000),
    )


def _busiest(
    workers: int,
    cpu_total: float,
    cpus: Sequence[float],
    off_cpu: Sequence[tuple[float, float]],
    off_cpu_total: tuple[float, float],
) -> tuple[float, tuple[float, float]]:
    """The busiest worker's CPU and the worst worker's (waited, stolen); without per-worker
    figures (snapshots made before they were kept), the totals shared evenly."""
    n = max(workers, 1)
    average = (off_cpu_total[0] / n, off_cpu_total[1] / n)
    return max(cpus, default=cpu_total / n), max(off_cpu, key=sum, default=average)
