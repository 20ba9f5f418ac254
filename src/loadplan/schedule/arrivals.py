"""Arrival processes, expressed in "hit space".

An arrival process says where the i-th request falls on the cumulative-hits axis of a rate
profile: uniform puts request i at exactly i, Poisson at the i-th point of a unit-rate Poisson
process. Mapping those points through ``RateProfile.times_of_hits`` gives due times for any rate
curve (time rescaling), so ramps and spikes get Poisson arrivals with no special cases.

Both are pure functions of (seed, i): every worker of a run can regenerate the same global
sequence and keep its own share.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt


class Arrivals(enum.StrEnum):
    UNIFORM = "uniform"
    POISSON = "poisson"


def hit_positions(
    kind: Arrivals, total_hits: float, seed: int, block: int = 16_384
) -> Iterator[npt.NDArray[np.float64]]:
    """Yield consecutive blocks of hit positions, all < ``total_hits``.

    Poisson blocks are drawn from ``Generator(SeedSequence([seed, block_index]))`` so a block's
    gaps never depend on how many blocks came before; the running sum carries between blocks.
    """
    if kind is Arrivals.UNIFORM:
        start = 0
        while start < total_hits:
            positions = np.arange(start, start + block, dtype=np.float64)
            yield positions[positions < total_hits]
            start += block
        return
    offset, index = 0.0, 0
    while offset < total_hits:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index])))
        positions = offset + np.cumsum(rng.exponential(1.0, block))
        offset = float(positions[-1])
        index += 1
        yield positions[positions < total_hits]
