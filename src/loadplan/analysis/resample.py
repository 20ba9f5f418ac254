"""Moving-block bootstrap over a run's seconds: the one resampling scheme of every interval.

A run's seconds are not independent draws: a queue that builds up in one second is still there
in the next, so resampling single seconds would make intervals too narrow. Whole runs of
``block`` consecutive seconds are resampled together instead, keeping that dependence inside
each block (Künsch's moving-block bootstrap). The capacity estimate (``capacity/maxqps.py``)
and the regression gate (``compare/``) both draw their replicates here, with a fixed seed, so
the same runs always give the same interval.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BLOCK_S = 5
"""Seconds per block: long enough to hold a queue's memory at the rates loadplan runs."""


def blocks(count: int, block: int, rng: np.random.Generator) -> list[int]:
    """Indices of a moving-block bootstrap sample of ``count`` items in blocks of ``block``."""
    if count <= 0:
        return []
    block = max(1, min(block, count))
    starts = rng.integers(0, count - block + 1, size=-(-count // block))
    return [int(i) for s in starts for i in range(s, s + block)][:count]


def block_weights(
    count: int, block: int, replicates: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """How often each of ``count`` seconds is drawn in each of ``replicates`` block samples:
    shape (replicates, count). A replicate's merged histogram is then one weighted sum of the
    seconds' histograms (a matrix product), not a merge of resampled copies."""
    if count <= 0:
        return np.zeros((replicates, 0), dtype=np.int64)
    block = max(1, min(block, count))
    per_replicate = -(-count // block)
    starts = rng.integers(0, count - block + 1, size=(replicates, per_replicate))
    drawn = (starts[:, :, None] + np.arange(block)).reshape(replicates, -1)[:, :count]
    # One bincount over (replicate, second) pairs: no Python loop over thousands of seconds.
    flat = (np.arange(replicates)[:, None] * count + drawn).ravel()
    return np.bincount(flat, minlength=replicates * count).reshape(replicates, count)
