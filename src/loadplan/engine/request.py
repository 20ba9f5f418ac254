"""The values that cross the engine: what to send, and what happened.

A ``Request`` is produced by a workload sampler and carries its own tags (language, popularity
bucket, ...) so the recorder can split results without knowing where requests came from.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

Tags = tuple[tuple[str, str], ...]
"""Ordered (name, value) pairs; a tuple so it can key a dict of per-tag histograms."""


class ErrorClass(enum.StrEnum):
    """How a request ended. ``OK`` is any 1xx-3xx answer.

    ``DROPPED`` is a request that fell due while the queue of requests waiting for a connection
    was full (``max_backlog``): the target had stopped taking requests, and keeping every due
    request in memory would let a dead target grow the generator without bound.

    The names are stable: they appear in snapshots, the run log and Prometheus labels.
    """

    OK = "ok"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    TIMEOUT = "timeout"
    CONNECT_REFUSED = "connect_refused"
    CONNECTION_RESET = "connection_reset"
    PROTOCOL_ERROR = "protocol_error"
    DROPPED = "dropped"
    OTHER = "other"

    @classmethod
    def for_status(cls, status: int) -> ErrorClass:
        if status >= 500:
            return cls.HTTP_5XX
        if status >= 400:
            return cls.HTTP_4XX
        return cls.OK


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to send.

    Attributes:
        method: HTTP method, upper case.
        target: path plus the already percent-encoded query, e.g. ``/search?q=a``.
        headers: extra headers; Host, Content-Length and Connection are added by the client.
        body: request body, empty for none.
        tags: (name, value) pairs the results are split by, e.g. ``(("lang", "ja"),)``.
        encoded: (target, bytes on the wire) once the client has encoded it for that target: a
            cache the client fills, not part of the value (not compared, hashed or shown).
            Carried by the request because a request the workload reuses is the one that
            repeats: a lookup elsewhere, in a table of 65,536, missed the CPU's caches (2.5 % of a
            worker at 25,000 req/s, perf), while the request itself is at hand.
    """

    method: str = "GET"
    target: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    tags: Tags = field(default=())
    encoded: tuple[object, bytes] | None = field(
        default=None, init=False, compare=False, repr=False
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one request did, with the three timestamps the recorder needs.

    Attributes:
        intended_ns: when the schedule said to send it (open loop), or when it was sent (closed).
        sent_ns: when its first byte was written.
        done_ns: when its last byte arrived, or when it failed.
        error: how it ended.
        status: HTTP status, 0 when there was no response.
        bytes_in: response bytes received (head and body).
        tags: the request's tags plus any captured from the response.
    """

    intended_ns: int
    sent_ns: int
    done_ns: int
    error: ErrorClass
    status: int = 0
    bytes_in: int = 0
    tags: Tags = ()


class RequestSource(Protocol):
    """Where the engine gets request number i of the run's global sequence.

    ``batch(start, stop, worker, workers)`` returns, in order, the requests with global index i in
    [start, stop) and ``i % workers == worker``. It must be a pure function of the source's seed and
    i, so any worker count replays the same sequence.
    """

    def batch(self, start: int, stop: int, worker: int = 0, workers: int = 1) -> list[Request]: ...

    def warm(self) -> Sequence[Request]:
        """Do any one-off preparation now, before the run's clock starts, and return the
        requests expected to repeat, most popular first: the engine encodes their bytes once,
        before the workers fork, instead of in every worker as they first come up."""
        ...


@dataclass(frozen=True, slots=True)
class FixedSource:
    """The same request every time: ``loadplan run --url`` without a workload."""

    request: Request

    def batch(self, start: int, stop: int, worker: int = 0, workers: int = 1) -> list[Request]:
        return [self.request] * len(range(start + (worker - start) % workers, stop, workers))

    def warm(self) -> Sequence[Request]:
        """Nothing to prepare: the one request exists already, and is the one that repeats."""
        return (self.request,)


def tag_key(tags: Tags) -> str:
    """``(("lang","ja"),("bucket","tail"))`` → ``"lang=ja;bucket=tail"``.

    The key doubles as the .hlog ``Tag=`` field, which may hold no commas or whitespace.
    """
    return ";".join(f"{k}={v}" for k, v in tags).replace(",", "_").replace(" ", "_")
