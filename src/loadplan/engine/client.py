"""The HTTP/1.1 client on the hot path: a keep-alive connection pool of asyncio Protocols.

Why not httpx or aiohttp: a load generator's cost per request is its ceiling, and a coroutine,
a future and a response object per request cost more than the request itself at tens of
thousands per second. Here a request is a ``bytes`` write and a response is a few httptools
callbacks on a long-lived Protocol; no task or future is created per request.

Every way a request can end is mapped to an ``ErrorClass`` here, once, and counted; nothing on
this path raises. Foreign exceptions seen at connect time are translated in ``_classify``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TypeVar, cast
from urllib.parse import urlsplit

import httptools

from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass, Request
from loadplan.errors import PlanError

_T = TypeVar("_T")

_now = time.monotonic_ns
_NO_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class Target:
    """Where requests go. Built from a URL with ``Target.parse``.

    Attributes:
        scheme: ``http`` or ``https``.
        host: host name or address.
        port: TCP port.
        base_path: path prefix from the URL, prepended to request targets that are relative.
        verify_tls: check the server certificate (https only).
    """

    scheme: str
    host: str
    port: int
    base_path: str = ""
    verify_tls: bool = True

    @classmethod
    def parse(cls, url: str, verify_tls: bool = True) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"target url = {url!r}: need an absolute http:// or https:// URL with a host"
            raise PlanError(msg)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            msg = f"target url = {url!r}: the port is not a number between 1 and 65535"
            raise PlanError(msg) from None
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), verify_tls)

    def __reduce__(self) -> tuple[type[Target], tuple[object, ...]]:
        return _by_constructor(self)

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.base_path}"


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Limits and timeouts of the pool.

    Attributes:
        connections: most connections open at once (HTTP/1.1: one request in flight on each).
        connect_timeout: seconds to wait for a TCP (and TLS) connection.
        read_timeout: seconds a request may go without receiving a byte.
        total_timeout: seconds from send to the last byte.
        capture_header: a response header whose value becomes a tag (e.g. ``X-Cache``).
        max_backlog: most requests waiting for a connection; more are counted as dropped.
        max_header_bytes: most bytes a response may send before its headers end; a longer
            head is a ``protocol_error`` (as nginx and Node refuse an oversized head). Checked
            after each read, so a head that arrives whole in one read passes: what it bounds
            is the memory a captured header can take, never more than one read over the cap.
            Bodies are never kept, so their size needs no cap: an endless one ends at the
            timeout.
    """

    connections: int = 256
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    total_timeout: float = 10.0
    capture_header: str = ""
    max_backlog: int = 100_000
    max_header_bytes: int = 65_536

    def __reduce__(self) -> tuple[type[ClientSettings], tuple[object, ...]]:
        return _by_constructor(self)


def _by_constructor(value: _T) -> tuple[type[_T], tuple[object, ...]]:
    """Pickle a value through its constructor, every field in order: pickled to Ray actors, a
    compiled frozen dataclass unpickles only this way (the default reduce assigns the fields
    one by one, which it refuses)."""
    return (type(value), tuple(getattr(value, f.name) for f in fields(value)))  # type: ignore[arg-type]


def encode_request(target: Target, request: Request, host_header: str | None = None) -> bytes:
    """The request's bytes on the wire. ``host_header`` lets the pool pass a precomputed value."""
    path = request.target
    if target.base_path and path.startswith("/"):
        path = target.base_path + path
    host = host_header or target.host_header
    if request.headers:
        extra = "".join(f"{name}: {value}\r\n" for name, value in request.headers)
    else:
        extra = ""
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        extra += f"Content-Length: {len(request.body)}\r\n"
    head = f"{request.method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n"
    return head.encode() + request.body if request.body else head.encode()


def _classify(exc: BaseException) -> ErrorClass:
    if isinstance(exc, ConnectionRefusedError):
        return ErrorClass.CONNECT_REFUSED
    if isinstance(exc, TimeoutError):
        return ErrorClass.TIMEOUT
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ErrorClass.CONNECTION_RESET
    if isinstance(exc, ssl.SSLError):
        return ErrorClass.PROTOCOL_ERROR
    return ErrorClass.OTHER


class Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time.

    The pool reads and writes its public attributes directly: on the hot path an attribute
    store costs a fraction of a method call.
    """

    __slots__ = (
        "_closed",
        "_feed",
        "_parser",
        "_pool",
        "bytes_in",
        "captured",
        "complete",
        "head_limit",
        "intended_ns",
        "keep_alive",
        "last_rx_ns",
        "request",
        "sent_ns",
        "transport",
    )

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self._feed = self._parser.feed_data
        self._closed = False
        self.transport: asyncio.Transport | None = None
        self.request: Request | None = None
        self.intended_ns = 0
        self.sent_ns = 0
        self.last_rx_ns = 0
        self.bytes_in = 0
        self.captured = b""
        self.complete = False
        self.keep_alive = True
        self.head_limit = pool.settings.max_header_bytes
        """Bytes of the current response allowed before its headers end; raised past any
        length once they have ended, so the hot path tests one integer per read."""

    # asyncio.Protocol -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self._pool.conns.add(self)

    def data_received(self, data: bytes) -> None:
        if self.request is None:
            # Bytes nobody asked for: the server is not speaking request/response HTTP/1.1.
            self.abort(ErrorClass.PROTOCOL_ERROR)
            return
        self.last_rx_ns = _now()
        self.bytes_in += len(data)
        try:
            self._feed(data)
        # HttpParserUpgrade is not an HttpParserError: a 101 answer (we never ask to upgrade)
        # escaped into the event loop's error log and was counted as "other".
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self.abort(ErrorClass.PROTOCOL_ERROR)
            return
        if self.bytes_in > self.head_limit:
            # Still in the headers past the cap: a captured header would grow without bound.
            self.abort(ErrorClass.PROTOCOL_ERROR)
            return
        # httptools calls on_message_complete from inside feed_data; the pool may send the next
        # request on this connection, which must not happen from inside a parser callback.
        if self.complete:
            self.complete = False
            self._pool.response_complete(self, self._parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._pool.conns.discard(self)
        if self.request is not None:
            if exc is not None:
                error = _classify(exc)
            elif self.bytes_in:
                error = ErrorClass.PROTOCOL_ERROR  # closed mid-response
            else:
                error = ErrorClass.CONNECTION_RESET  # closed before answering
            self._pool.request_failed(self, error)
        self._pool.connection_closed(self)

    # httptools callbacks (httptools looks them up once, so a missing one costs nothing) --------
    def on_headers_complete(self) -> None:
        # httptools answers should_keep_alive() reliably only here, not after the body.
        self.keep_alive = self._parser.should_keep_alive()
        self.head_limit = _NO_LIMIT

    def on_message_complete(self) -> None:
        self.complete = True

    # pool interface ---------------------------------------------------------------------------
    def abort(self, error: ErrorClass) -> None:
        """Give up on the current request (bad bytes, timeouts) and drop the connection."""
        if self.request is not None:
            self._pool.request_failed(self, error)
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed and self.transport is not None:
            self._closed = True
            self.transport.abort()


class CapturingConnection(Connection):
    """A connection that keeps one response header's value, to tag the outcome with it.

    A separate class because httptools calls ``on_header`` for every header of every response
    when the method exists; without a header to capture, the plain class has none.
    """

    __slots__ = ()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == self._pool.capture_header:
            self.captured = value


def encode_all(target: Target, requests: Iterable[Request]) -> int:
    """Encode ``requests`` (a source's popular ones) for ``target`` now, into each request's
    ``encoded``; returns how many.

    Done once before the workers fork, they inherit the bytes instead of encoding them again in
    each worker as each request first comes up: at 20,000 req/s with the built-in workload that
    was some 8,000 encodings (2-3 µs each) in the first second alone, on top of its other
    first-time costs.
    """
    host = target.host_header
    count = 0
    for request in requests:
        _remember(request, target, encode_request(target, request, host))
        count += 1
    return count


def _remember(request: Request, target: Target, wire: bytes) -> None:
    # ``encoded`` is a cache on a frozen value: set the way the dataclass's own __init__ does.
    object.__setattr__(request, "encoded", (target, wire))


class Pool:
    """Connections to one target, a queue of requests waiting for one, and the timeout sweeper.

    Requests queued because every connection is busy keep their intended time: their wait is
    latency, which is exactly what a user behind that queue would see.

    ``on_finished`` is called after every finished request, once its connection is settled (idle
    again, or busy with the next queued request): the closed loop sends its next request from
    there.
    """

    def __init__(
        self,
        target: Target,
        settings: ClientSettings,
        recorder: Recorder,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.target = target
        self.settings = settings
        self.recorder = recorder
        self.loop = loop
        self.host_header = target.host_header
        self.capture_name = settings.capture_header.lower()
        self.capture_header = self.capture_name.encode("latin-1")
        self.conns: set[Connection] = set()
        """Every open connection (busy ones have a ``request``)."""
        self.idle: list[Connection] = []
        self.pending: deque[tuple[int, Request]] = deque()
        self.inflight = 0
        self.opening = 0
        self.inflight_max = 0
        self.on_finished: Callable[[], None] | None = None
        self._ssl: ssl.SSLContext | None = None
        if target.scheme == "https":
            ctx = ssl.create_default_context()
            if not target.verify_tls:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._ssl = ctx
        self._protocol_factory: Callable[[], Connection] = (
            (lambda: CapturingConnection(self))
            if self.capture_header
            else (lambda: Connection(self))
        )
        self._sweeper: asyncio.TimerHandle | None = None
        self._connect_tasks: set[asyncio.Task[None]] = set()

    @property
    def open_count(self) -> int:
        """Connections open now: counted where asyncio says so (``connection_made`` and
        ``connection_lost``), so one that dies while being opened is never counted twice."""
        return len(self.conns)

    @property
    def busy(self) -> list[Connection]:
        """Connections with a request in flight."""
        return [conn for conn in self.conns if conn.request is not None]

    @property
    def backlog(self) -> int:
        return len(self.pending)

    def submit(self, intended_ns: int, request: Request) -> None:
        """Send now if a connection is free, else queue (keeping the intended time)."""
        if self.idle:
            self._send(self.idle.pop(), intended_ns, request)
            return
        if len(self.pending) >= self.settings.max_backlog:
            now = _now()
            self.recorder.record(request.tags, intended_ns, now, now, ErrorClass.DROPPED)
            self.notify_finished()
            return
        self.pending.append((intended_ns, request))
        # One connection attempt per waiting request at most: a burst of due requests at start
        # (or after a stall) must not open the whole pool at once.
        if len(self.pending) > self.opening and (
            self.open_count + self.opening < self.settings.connections
        ):
            self._open()

    def _send(self, conn: Connection, intended_ns: int, request: Request) -> None:
        encoded = request.encoded
        if encoded is not None and encoded[0] is self.target:
            wire = encoded[1]
        else:
            wire = self._encode(request, encoded)
        conn.request = request
        conn.intended_ns = intended_ns
        conn.bytes_in = 0
        conn.keep_alive = True
        conn.head_limit = self.settings.max_header_bytes
        if conn.captured:
            conn.captured = b""
        conn.sent_ns = conn.last_rx_ns = _now()
        conn.transport.write(wire)  # type: ignore[union-attr]  # set once connected
        self.recorder.sent += 1
        inflight = self.inflight = self.inflight + 1
        if inflight > self.inflight_max:
            self.inflight_max = inflight

    def _encode(self, request: Request, encoded: tuple[object, bytes] | None) -> bytes:
        """The request's bytes for this pool's target, remembered on the request."""
        if encoded is not None and encoded[0] == self.target:
            wire = encoded[1]  # encoded before the fork, for an equal Target object
        else:
            wire = encode_request(self.target, request, self.host_header)
        _remember(request, self.target, wire)
        return wire

    def response_complete(self, conn: Connection, status: int) -> None:
        """A whole answer arrived on ``conn``: count it and put the connection back to work."""
        request = conn.request
        assert request is not None
        conn.request = None
        self.inflight -= 1
        tags = request.tags
        if conn.captured:
            tags = (*tags, (self.capture_name, conn.captured.decode("latin-1")))
        self.recorder.response(
            tags, conn.intended_ns, conn.sent_ns, conn.last_rx_ns, status, conn.bytes_in
        )
        if not conn.keep_alive:
            conn.close()
        elif self.pending:
            intended, queued = self.pending.popleft()
            self._send(conn, intended, queued)
        else:
            self.idle.append(conn)
        if self.on_finished is not None:
            self.on_finished()

    def request_failed(self, conn: Connection, error: ErrorClass) -> None:
        """``conn``'s request ended without an answer; the connection is going away. The driver
        hears of it (``on_finished``) on the loop's next turn, not from inside this call: the
        caller may still be tearing the connection down."""
        request = conn.request
        assert request is not None
        conn.request = None
        self.inflight -= 1
        self.recorder.record(
            request.tags, conn.intended_ns, conn.sent_ns, _now(), error, 0, conn.bytes_in
        )
        self.loop.call_soon(self.notify_finished)

    def notify_finished(self) -> None:
        """Tell the driver a request finished (closed loop: a user is free)."""
        if self.on_finished is not None:
            self.on_finished()

    def connection_closed(self, conn: Connection) -> None:
        if conn in self.idle:
            self.idle.remove(conn)
        if self.pending and self.open_count + self.opening < self.settings.connections:
            self._open()

    def _open(self) -> None:
        self.opening += 1
        task = self.loop.create_task(self._connect())
        self._connect_tasks.add(task)
        task.add_done_callback(self._connect_tasks.discard)

    async def _connect(self) -> None:
        started = _now()
        try:
            conn = await self._connect_one()
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            self.opening -= 1
            self._connect_failed(_classify(exc), started)
            return
        self.opening -= 1
        if conn.closed:
            return  # dropped by the server while opening: connection_closed has seen to it
        if self.pending:
            intended, request = self.pending.popleft()
            self._send(conn, intended, request)
        else:
            self.idle.append(conn)

    def _connect_failed(self, error: ErrorClass, started_ns: int) -> None:
        # One failed attempt fails the oldest waiting request, so a dead target shows up as a
        # stream of errors at the offered rate instead of an ever-growing queue.
        if self.pending:
            intended, request = self.pending.popleft()
            self.recorder.sent_one()
            self.recorder.record(request.tags, intended, started_ns, _now(), error)
            self.notify_finished()
        if self.pending and self.open_count + self.opening < self.settings.connections:
            self._open()

    async def warm_up(self, n: int, deadline_ns: int | None = None) -> None:
        """Open up to ``n`` connections before the run starts, as wrk does, so the first second
        measures the target rather than TCP handshakes. Failures are left for the run to count.

        Attempts still going at ``deadline_ns`` (the run's start) are abandoned: a slow
        handshake must not start the run late, which would show as the generator's own lag.
        """
        n = min(n, self.settings.connections) - self.open_count - self.opening
        if n <= 0:
            return
        self.opening += n
        attempts = [self.loop.create_task(self._connect_one()) for _ in range(n)]
        timeout = None if deadline_ns is None else max(deadline_ns - _now(), 0) / 1e9
        try:
            done, pending = await asyncio.wait(attempts, timeout=timeout)
        finally:
            self.opening -= n
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is None:
                conn = task.result()
                # One the server dropped while the others were opening is already gone.
                if not conn.closed:
                    self.idle.append(conn)

    async def _connect_one(self) -> Connection:
        _, conn = await asyncio.wait_for(
            self.loop.create_connection(
                self._protocol_factory,
                self.target.host,
                self.target.port,
                ssl=self._ssl,
                server_hostname=self.target.host if self._ssl else None,
            ),
            timeout=self.settings.connect_timeout,
        )
        return conn

    # timeouts ---------------------------------------------------------------------------------
    def start_sweeper(self, every_s: float = 0.05) -> None:
        def sweep() -> None:
            now = _now()
            total = int(self.settings.total_timeout * 1e9)
            read = int(self.settings.read_timeout * 1e9)
            for conn in [
                c
                for c in self.conns
                if c.request is not None and (now - c.sent_ns > total or now - c.last_rx_ns > read)
            ]:
                conn.abort(ErrorClass.TIMEOUT)
            self._sweeper = self.loop.call_later(every_s, sweep)

        self._sweeper = self.loop.call_later(every_s, sweep)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in list(self._connect_tasks):
            task.cancel()
        for conn in list(self.conns):
            conn.close()
        self.idle.clear()

    def discard_pending(self) -> int:
        """Forget the requests waiting for a connection (a stopped run does not send them):
        they stay due but unsent. Returns how many there were."""
        n = len(self.pending)
        self.pending.clear()
        return n

    def fail_pending(self, error: ErrorClass) -> int:
        """Count every request still waiting for a connection as failed (used at shutdown)."""
        n = len(self.pending)
        now = _now()
        while self.pending:
            intended, request = self.pending.popleft()
            self.recorder.record(request.tags, intended, now, now, error)
        return n
