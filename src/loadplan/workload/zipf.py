"""Popularity over a ranked list: Zipf, a head/tail share solved for its Zipf exponent, uniform.

A query pool is ranked, most popular first. A popularity model turns a rank into a share of
traffic. Real search traffic is close to Zipf: the r-th most popular query gets a share
proportional to ``1 / r**s``. People rarely know ``s`` but often know a sentence like "the top 1 %
of queries take 50 % of traffic"; ``solve_exponent`` turns that sentence into the ``s`` that makes
it true for the pool's size. We solve for ``s`` instead of building a two-part (flat head, flat
tail) distribution because a single Zipf curve keeps the realistic shape inside the head and the
tail, and the cache model (``lru.py``) works on any distribution either way.

Buckets tag each request by where its query sits in the pool's ranking (not by its share):
``head`` is the top ``head`` fraction of the pool's ranks, ``torso`` the next ``torso`` fraction,
``tail`` the rest. With the defaults (1 %, 9 %) a 100,000-query pool has 1,000 head queries,
9,000 torso queries and 90,000 tail queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Probabilities = npt.NDArray[np.float64]

BUCKETS: tuple[str, ...] = ("head", "torso", "tail")
"""Bucket names, indexed by the codes ``bucket_codes`` returns."""

_MAX_EXPONENT = 20.0


def top_count(n: int, fraction: float) -> int:
    """How many ranks "the top ``fraction``" of ``n`` means: at least one, rounded up."""
    # The small slack keeps 0.01 * 100_000 (1000.0000000000001 in floats) at 1000.
    return min(n, max(1, math.ceil(fraction * n - 1e-9)))


def zipf_weights(n: int, s: float) -> Probabilities:
    """Share of traffic of ranks 1..n under Zipf with exponent ``s`` (0 is uniform); sums to 1.

    Example::

        zipf_weights(4, 1.0)  # [0.48, 0.24, 0.16, 0.12]
    """
    if n < 1:
        msg = f"zipf_weights: n = {n}: need at least one rank"
        raise ValueError(msg)
    # Computed in the log domain so that large exponents underflow to 0 instead of overflowing.
    w = np.exp(-s * np.log(np.arange(1, n + 1, dtype=np.float64)))
    return np.asarray(w / w.sum(), dtype=np.float64)


def top_share(probs: Probabilities, fraction: float) -> float:
    """Share of traffic taken by the top ``fraction`` of items (``probs`` in any order)."""
    k = top_count(len(probs), fraction)
    top = np.partition(probs, len(probs) - k)[len(probs) - k :]
    return float(top.sum() / probs.sum())


def _zipf_head_share(n: int, k: int, s: float) -> float:
    w = np.exp(-s * np.log(np.arange(1, n + 1, dtype=np.float64)))
    return float(w[:k].sum() / w.sum())


def solve_exponent(n: int, top: float, share: float) -> float:
    """The Zipf exponent ``s`` for which the top ``top`` fraction of ``n`` ranks take ``share``.

    Raises ValueError when no exponent can: the share is at most what uniform popularity
    already gives, or the "top" is the whole pool.

    Example::

        solve_exponent(100_000, top=0.01, share=0.5)  # about 0.92
    """
    from scipy.optimize import brentq

    k = top_count(n, top)
    floor = k / n
    if k >= n or share <= floor:
        msg = (
            f"head/tail: top {top:.4g} of {n} queries is {k} queries, which take {floor:.2%} "
            f"even with uniform popularity; share = {share:.4g} must be above that and below 1"
        )
        raise ValueError(msg)
    if _zipf_head_share(n, k, _MAX_EXPONENT) < share:
        return _MAX_EXPONENT
    # The head's share grows monotonically with s, from k/n at s = 0 towards 1.
    s = brentq(lambda x: _zipf_head_share(n, k, x) - share, 0.0, _MAX_EXPONENT, xtol=1e-10)
    return float(s)


@dataclass(frozen=True, slots=True)
class RankModel:
    """How popularity falls with rank: ``zipf`` (exponent ``s``), ``head_tail`` or ``uniform``.

    Attributes:
        kind: the model's name.
        s: the Zipf exponent (``zipf`` only).
        top: the head's size as a fraction of the pool (``head_tail`` only).
        share: the head's share of traffic (``head_tail`` only).
    """

    kind: Literal["zipf", "head_tail", "uniform"] = "zipf"
    s: float = 1.0
    top: float = 0.01
    share: float = 0.5

    def exponent(self, n: int) -> float:
        """The Zipf exponent this model uses for a pool of ``n`` ranks (0 for uniform)."""
        if self.kind == "uniform":
            return 0.0
        if self.kind == "head_tail":
            return solve_exponent(n, self.top, self.share) if n > 1 else 0.0
        return self.s

    def weights(self, n: int) -> Probabilities:
        """Share of traffic of each of ``n`` ranks, most popular first."""
        return zipf_weights(n, self.exponent(n))


def bucket_codes(n: int, head: float, torso: float) -> npt.NDArray[np.int8]:
    """Bucket code (index into ``BUCKETS``) of each of ``n`` ranks, most popular first."""
    codes = np.full(n, 2, dtype=np.int8)
    n_head = top_count(n, head)
    n_torso = top_count(n, head + torso) if torso > 0 else n_head
    codes[:n_torso] = 1
    codes[:n_head] = 0
    return codes
