"""The schedule: due times of requests, block by block, for one worker's share.

Request i of the global sequence belongs to worker ``i % workers``. Each worker walks the whole
global sequence (cheap: one numpy pass per block) and keeps its share, so the union of the shares
is the same sequence whatever the worker count, and a seed reproduces it exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loadplan.schedule.arrivals import Arrivals, hit_positions
from loadplan.schedule.stages import RateProfile


@dataclass(frozen=True, slots=True)
class DueBlock:
    """A block of one worker's requests.

    Attributes:
        indices: global sequence numbers (pick the request to send by these).
        offsets_ns: due times, nanoseconds from the run's start, ascending.
    """

    indices: npt.NDArray[np.int64]
    offsets_ns: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Due times for a profile and arrival process.

    Example::

        schedule = Schedule(RateProfile.constant(500, 5), Arrivals.UNIFORM, seed=1)
        first = next(schedule.blocks())
        first.offsets_ns[:3]   # [0, 2000000, 4000000]
    """

    profile: RateProfile
    arrivals: Arrivals = Arrivals.UNIFORM
    seed: int = 0
    worker: int = 0
    workers: int = 1
    block: int = 16_384

    def __post_init__(self) -> None:
        if not 0 <= self.worker < self.workers:
            msg = f"worker {self.worker} of {self.workers}: need 0 <= worker < workers"
            raise ValueError(msg)

    def blocks(self) -> Iterator[DueBlock]:
        first = 0
        for positions in hit_positions(
            self.arrivals, self.profile.total_hits, self.seed, self.block
        ):
            n = len(positions)
            indices = np.arange(first, first + n, dtype=np.int64)
            first += n
            mine = (indices % self.workers) == self.worker
            if not mine.any():
                continue
            seconds = self.profile.times_of_hits(positions[mine])
            yield DueBlock(indices[mine], np.round(seconds * 1e9).astype(np.int64))

    def expected_count(self) -> int:
        """Requests this worker will be due to send (exact for uniform; expected for Poisson)."""
        total = self.profile.total_hits
        if self.arrivals is Arrivals.UNIFORM:
            n = int(np.ceil(total))
            return len(range(self.worker, n, self.workers))
        return round(total / self.workers)


@dataclass(frozen=True, slots=True)
class OffsetSchedule:
    """Due times given outright (seconds from the start), e.g. an access log's recorded timing.

    Example::

        schedule = OffsetSchedule(np.array([0.0, 0.25, 0.3]))
        next(schedule.blocks()).offsets_ns   # [0, 250000000, 300000000]
    """

    offsets_s: npt.NDArray[np.float64]
    worker: int = 0
    workers: int = 1
    block: int = 16_384

    def blocks(self) -> Iterator[DueBlock]:
        offsets = np.round(np.asarray(self.offsets_s, dtype=np.float64) * 1e9).astype(np.int64)
        for first in range(0, len(offsets), self.block):
            indices = np.arange(first, min(first + self.block, len(offsets)), dtype=np.int64)
            mine = indices[(indices % self.workers) == self.worker]
            if len(mine):
                yield DueBlock(mine, offsets[mine])
