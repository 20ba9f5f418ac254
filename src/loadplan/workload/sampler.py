"""The request sampler: request number i of a run as a pure function of (seed, i).

Any worker must be able to produce any part of the global sequence without talking to the
others, so the sequence is cut into blocks of ``BLOCK_SIZE`` requests and block b is drawn from
its own random stream, ``SeedSequence(seed, spawn_key=(1, b))``. Request i is item
``block(i // BLOCK_SIZE)[i % BLOCK_SIZE]``: the same for 1 worker or 64, today or next year
(given the same numpy). Worker k of n sends the indices i with ``i % n == k``.

Drawing an item is one uniform number and a binary search in the catalog's cumulative shares
(inverse CDF with ``np.searchsorted``): several million items per second per core, far more than
any HTTP client sends. Turning an item into a ``Request`` (rendering the template, percent-encoding)
costs more, so each item's ``Request`` is built once and reused; under Zipf traffic the head is
built in the first few thousand requests and almost every later request is gathered from an
array of built ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt

from loadplan.engine.request import Request, Tags
from loadplan.workload.catalog import Catalog
from loadplan.workload.describe import DEFAULT_CACHE_SIZES, WorkloadDescription, describe_catalog
from loadplan.workload.template import RequestTemplate

BLOCK_SIZE = 4096
"""Requests per random block. Part of the sequence's definition: changing it changes the runs."""

_SAMPLE_STREAM = 1  # spawn_key prefix; pools use 0, so the streams never coincide
_KEPT_BLOCKS = 4
_KEPT_REQUESTS = 65_536
"""At most this many Requests are kept (tens of MB): those of the most popular items."""
_WARM_REQUESTS = _KEPT_REQUESTS


class RequestSampler:
    """Requests of a workload by global index, tagged with language and popularity bucket.

    Not thread-safe (it memoizes blocks and requests); give each worker its own.

    Example::

        sampler = build_sampler(spec, Path("."))
        sampler.batch(0, 1000, worker=1, workers=4)   # requests 1, 5, 9, ... 997
    """

    def __init__(
        self,
        catalog: Catalog,
        template: RequestTemplate,
        seed: int,
        warnings: Sequence[str] = (),
    ) -> None:
        if seed < 0:
            msg = f"seed = {seed}: must be >= 0"
            raise ValueError(msg)
        self._catalog = catalog
        self._template = template
        self._seed = seed
        cdf = np.cumsum(catalog.probs)
        self._cdf = cdf / cdf[-1]
        self._tags = catalog.tag_table()
        codes = (catalog.lang_of.astype(np.int64) + 1) * 4 + catalog.bucket_of + 1
        self._tag_code: list[int] = codes.tolist()
        # Keep the Requests of the most popular items only: they are the ones that repeat.
        if len(catalog.probs) > _KEPT_REQUESTS:
            floor = np.partition(catalog.probs, -_KEPT_REQUESTS)[-_KEPT_REQUESTS]
            self._keep = catalog.probs > floor
        else:
            self._keep = np.ones(len(catalog.probs), dtype=bool)
        self._blocks: dict[int, npt.NDArray[np.int64]] = {}
        # Built Requests by item, and which are built: arrays, so a batch gathers its requests
        # in one C call instead of a Python loop of dict lookups (perf, 25,000 req/s: 2.8 % of
        # a worker in those lookups, 2.4 % in the gather; most of either is the first touch of
        # each request, cold in the CPU's caches).
        self._kept: npt.NDArray[np.object_] = np.full(len(catalog.probs), None, dtype=object)
        self._built = np.zeros(len(catalog.probs), dtype=bool)
        self.warnings: tuple[str, ...] = tuple(warnings)
        """Problems found while loading that did not stop it (e.g. skipped log lines)."""

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def template(self) -> RequestTemplate:
        return self._template

    @property
    def length(self) -> int | None:
        """Requests in one pass of a timing replay; None when the sequence never ends."""
        sequence = self._catalog.sequence
        return None if sequence is None else len(sequence)

    @property
    def offsets(self) -> npt.NDArray[np.float64] | None:
        """For a timing replay, the due time of request i in seconds from the start; else None.

        Request i >= ``length`` repeats request ``i % length``; the schedule ends after
        ``length`` requests unless the engine chooses to loop.
        """
        return self._catalog.offsets

    def block(self, number: int) -> npt.NDArray[np.int64]:
        """Items of the requests ``number * BLOCK_SIZE`` up to the next block."""
        cached = self._blocks.get(number)
        if cached is not None:
            return cached
        if len(self._cdf) == 1:
            items = np.zeros(BLOCK_SIZE, dtype=np.int64)
        else:
            seq = np.random.SeedSequence(self._seed, spawn_key=(_SAMPLE_STREAM, number))
            uniform = np.random.Generator(np.random.PCG64(seq)).random(BLOCK_SIZE)
            items = np.searchsorted(self._cdf, uniform, side="right").astype(np.int64)
            # cdf[-1] is exactly 1.0 and uniform < 1, but guard the last item against rounding.
            np.minimum(items, len(self._cdf) - 1, out=items)
        if len(self._blocks) >= _KEPT_BLOCKS:
            self._blocks.pop(next(iter(self._blocks)))
        self._blocks[number] = items
        return items

    def indices(self, start: int, stop: int) -> npt.NDArray[np.int64]:
        """Catalog items of the global requests ``start .. stop - 1``."""
        _check_range(start, stop)
        sequence = self._catalog.sequence
        if sequence is not None:
            return sequence[np.arange(start, stop) % len(sequence)]
        if stop == start:
            return np.zeros(0, dtype=np.int64)
        first, last = start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE
        if first == last:
            return self.block(first)[start - first * BLOCK_SIZE : stop - first * BLOCK_SIZE]
        blocks = np.concatenate([self.block(b) for b in range(first, last + 1)])
        return blocks[start - first * BLOCK_SIZE : stop - first * BLOCK_SIZE]

    def item_request(self, item: int) -> Request:
        """The request for catalog item ``item`` (built once, then shared)."""
        if self._built[item]:
            return cast(Request, self._kept[item])
        method, target, headers, body = self._template.render(self._catalog.rows.row(item))
        tags: Tags = self._tags[self._tag_code[item]]
        request = Request(method=method, target=target, headers=headers, body=body, tags=tags)
        if self._keep[item]:
            self._kept[item] = request
            self._built[item] = True
        return request

    def warm(self, items: int = _WARM_REQUESTS) -> list[Request]:
        """Build the requests of the ``items`` most popular items now, before the run starts.

        Built lazily instead, they cost the run's first seconds 10-20 µs each, time the pacer
        does not have at tens of thousands of requests per second: measured at 20,000 req/s with
        the built-in workload, the first seconds ran the worker at 100 % CPU with schedule lag
        P99 of 18-23 ms. All 65,536 kept take about a second here and carry nine tenths of the
        traffic of the built-in workload (Zipf over 10 x 20,000 queries). Returns them, most
        popular first.
        """
        kept = np.flatnonzero(self._keep)
        order = kept[np.argsort(-self._catalog.probs[kept], kind="stable")][:items]
        return [self.item_request(item) for item in order.tolist()]

    def batch(self, start: int, stop: int, worker: int = 0, workers: int = 1) -> list[Request]:
        """The requests with global index i in ``[start, stop)`` and ``i % workers == worker``."""
        if workers < 1 or not 0 <= worker < workers:
            msg = f"worker = {worker}, workers = {workers}: need 0 <= worker < workers"
            raise ValueError(msg)
        _check_range(start, stop)
        first = start + (worker - start) % workers
        if first >= stop:
            return []
        items = self.indices(first, stop)[::workers]
        out: list[Request] = self._kept[items].tolist()
        missing = np.flatnonzero(~self._built[items])
        if len(missing):
            for at, item in zip(missing.tolist(), items[missing].tolist(), strict=True):
                out[at] = self.item_request(item)
        return out

    def describe(
        self, cache_sizes: Sequence[int] = DEFAULT_CACHE_SIZES, examples: int = 5
    ) -> WorkloadDescription:
        """The workload's shape (see ``describe.py``), with its first ``examples`` requests."""
        shown = self.batch(0, min(examples, self.length or examples))
        return describe_catalog(
            self._catalog,
            seed=self._seed,
            cache_sizes=cache_sizes,
            examples=shown,
            warnings=self.warnings,
        )


def _check_range(start: int, stop: int) -> None:
    if start < 0 or stop < start:
        msg = f"start = {start}, stop = {stop}: need 0 <= start <= stop"
        raise ValueError(msg)
