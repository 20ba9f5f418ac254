"""Each error class, produced for real by a misbehaving server over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import uvloop

from loadplan.engine.client import ClientSettings, Pool, Target, encode_all, encode_request
from loadplan.engine.interval import RawInterval
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass, FixedSource, Request
from loadplan.engine.worker import WorkerSpec, run_worker
from loadplan.results.snapshot import IntervalSnapshot
from loadplan.schedule.stages import RateProfile
from tests.conftest import StubServer


def run_briefly(
    url: str, rate: float = 40, seconds: float = 1.0, verify_tls: bool = True, **client: object
) -> list[IntervalSnapshot]:
    options: dict[str, object] = {
        "connections": 16,
        "connect_timeout": 1.0,
        "read_timeout": 0.5,
        "total_timeout": 0.5,
        **client,
    }
    settings = ClientSettings(**options)  # type: ignore[arg-type]
    spec = WorkerSpec(
        target=Target.parse(url, verify_tls=verify_tls),
        client=settings,
        profile=RateProfile.constant(rate, seconds),
        start_ns=time.monotonic_ns() + 50_000_000,
        drain_s=1.0,
    )
    raws: list[RawInterval] = []
    uvloop.run(run_worker(spec, FixedSource(Request(target="/x")), raws.append, lambda: False))
    return [IntervalSnapshot.from_raw(raw) for raw in raws]


def errors_of(snaps: list[IntervalSnapshot]) -> Counter[str]:
    total: Counter[str] = Counter()
    for s in snaps:
        total.update(s.errors)
    return total


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("ok", ErrorClass.OK),
        ("status500", ErrorClass.HTTP_5XX),
        ("garbage", ErrorClass.PROTOCOL_ERROR),
        ("reset", ErrorClass.CONNECTION_RESET),
        ("silent", ErrorClass.TIMEOUT),
    ],
    ids=lambda v: str(v),
)
def test_each_server_behaviour_gets_its_error_class(
    stub_server: Callable[..., StubServer], mode: str, expected: ErrorClass
) -> None:
    server = stub_server(mode)
    errors = errors_of(run_briefly(server.url))
    assert sum(errors.values()) == 40
    assert errors == {expected.value: 40}


def test_closed_port_is_connect_refused(free_port: int) -> None:
    errors = errors_of(run_briefly(f"http://127.0.0.1:{free_port}"))
    assert errors == {ErrorClass.CONNECT_REFUSED.value: 40}


def test_captured_header_becomes_a_tag(stub_server: Callable[..., StubServer]) -> None:
    server = stub_server("ok")
    snaps = run_briefly(server.url, capture_header="X-Cache")
    tagged = sum(s.tags["x-cache=HIT"].get_total_count() for s in snaps if s.tags)
    assert tagged == 40


def test_latency_is_recorded_for_timeouts_but_not_refusals(
    free_port: int, stub_server: Callable[..., StubServer]
) -> None:
    snaps = run_briefly(f"http://127.0.0.1:{free_port}")
    assert sum(s.latency.get_total_count() for s in snaps) == 0
    # Timeouts keep their latency (a lower bound, at the 0.5 s timeout), so a dead target
    # pushes the percentiles up instead of leaving them.
    timed_out = run_briefly(stub_server("silent").url)
    assert sum(s.latency.get_total_count() for s in timed_out) == 40
    # get_min_value() answers the lowest value of the HDR bucket (3 significant digits), so the
    # bound is that bucket's floor, not 500 000 itself.
    floor = timed_out[0].latency.get_lowest_equivalent_value(500_000)
    assert min(s.latency.get_min_value() for s in timed_out if s.completed) >= floor


@pytest.mark.parametrize(
    ("target", "request_", "expected"),
    [
        (
            Target.parse("http://example.test:8080/api/"),
            Request(target="/search?q=a"),
            b"GET /api/search?q=a HTTP/1.1\r\nHost: example.test:8080\r\n\r\n",
        ),
        (
            Target.parse("https://example.test"),
            Request("POST", "/x", (("Content-Type", "application/json"),), b"{}"),
            (
                b"POST /x HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\n\r\n{}"
            ),
        ),
    ],
    ids=["get-with-base-path", "post-with-body"],
)
def test_encode_request(target: Target, request_: Request, expected: bytes) -> None:
    assert encode_request(target, request_) == expected


def test_a_full_backlog_drops_instead_of_growing(stub_server: Callable[..., StubServer]) -> None:
    server = stub_server("silent")
    snaps = run_briefly(
        server.url, rate=200, connections=2, max_backlog=10, read_timeout=5.0, total_timeout=5.0
    )
    errors = errors_of(snaps)
    # 2 requests hang on the two connections, 10 wait for them, the other 188 are dropped; the
    # 12 are timed out (the two in flight) or given up at the end of the drain.
    assert errors[ErrorClass.DROPPED.value] == 188
    assert sum(errors.values()) == 200
    assert max(s.backlog for s in snaps) == 10


def test_https_with_and_without_certificate_checks(
    stub_server: Callable[..., StubServer], tls_cert: tuple[Path, Path]
) -> None:
    cert, key = tls_cert
    server = stub_server("ok", "--tls-cert", str(cert), "--tls-key", str(key))
    url = server.url.replace("http://", "https://")
    assert errors_of(run_briefly(url, verify_tls=False)) == {ErrorClass.OK.value: 40}
    # A self-signed certificate fails verification: every attempt is a TLS (protocol) error.
    assert errors_of(run_briefly(url)) == {ErrorClass.PROTOCOL_ERROR.value: 40}


def test_warm_up_stops_at_the_start_time_when_connecting_is_slow() -> None:
    # A listener that never accepts, with its backlog full: further connects hang (SYNs are
    # dropped) until connect_timeout. Warm-up must give up at its deadline, not 3 s later.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)

        async def main() -> tuple[float, int, int]:
            loop = asyncio.get_running_loop()
            settings = ClientSettings(connections=16, connect_timeout=3.0)
            pool = Pool(Target.parse(f"http://127.0.0.1:{port}"), settings, Recorder(), loop)
            started = time.monotonic()
            await pool.warm_up(8, deadline_ns=time.monotonic_ns() + 300_000_000)
            took = time.monotonic() - started
            opening = pool.opening
            pool.close()
            return took, opening, len(pool.idle)

        took, opening, idle = uvloop.run(main())
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert took < 2.0
    assert opening == 0
    assert idle <= 8


def test_a_pool_sends_the_bytes_encoded_before_the_run() -> None:
    # The runner encodes a source's popular requests once, before the workers fork
    # (encode_all, into Request.encoded); the pool must send those bytes rather than encode
    # the requests again.
    request = Request(target="/popular")
    heads: list[bytes] = []

    class Recording(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while b"\r\n\r\n" in self.buf:
                head, _, self.buf = self.buf.partition(b"\r\n\r\n")
                heads.append(head)
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")  # type: ignore[attr-defined]

    async def main() -> list[RawInterval]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Recording, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        target = Target.parse(f"http://127.0.0.1:{port}")
        assert encode_all(target, [request]) == 1
        assert request.encoded == (target, encode_request(target, request))
        assert request == Request(target="/popular")  # a cache, not part of the value
        # Mark the bytes so the server can tell them from a fresh encoding.
        marked = Request(target="/popular", headers=(("X-Encoded", "before"),))
        object.__setattr__(request, "encoded", (target, encode_request(target, marked)))
        spec = WorkerSpec(
            # An equal Target parsed again, as a worker without the runner's object would have.
            target=Target.parse(f"http://127.0.0.1:{port}"),
            client=ClientSettings(connections=4),
            profile=RateProfile.constant(50, 0.5),
            start_ns=time.monotonic_ns() + 50_000_000,
            drain_s=1.0,
        )
        raws: list[RawInterval] = []
        async with server:
            await run_worker(spec, FixedSource(request), raws.append, lambda: False)
        return raws

    raws = uvloop.run(main())
    assert sum(raw.errors.get("ok", 0) for raw in raws) == 25
    assert len(heads) == 25
    assert all(b"X-Encoded: before" in head for head in heads)


@pytest.mark.parametrize(
    ("header_bytes", "cap", "expected"),
    [
        pytest.param(32_000, 65_536, ErrorClass.OK, id="32KB-head-under-the-default-cap"),
        pytest.param(1 << 20, 65_536, ErrorClass.PROTOCOL_ERROR, id="1MB-head"),
        pytest.param(1 << 20, 2 << 20, ErrorClass.OK, id="1MB-head-under-a-2MB-cap"),
    ],
)
def test_a_response_head_over_the_cap_is_a_protocol_error(
    stub_server: Callable[..., StubServer], header_bytes: int, cap: int, expected: ErrorClass
) -> None:
    server = stub_server("hugeheaders", "--header-bytes", str(header_bytes))
    errors = errors_of(run_briefly(server.url, capture_header="X-Cache", max_header_bytes=cap))
    assert errors == {expected.value: 40}


def test_the_head_cap_leaves_bodies_alone(tiny_http: Callable[..., object]) -> None:
    server = tiny_http(lambda: (200, b"b" * 1_000_000))
    snaps = run_briefly(server.url, rate=10, total_timeout=5.0, read_timeout=5.0)  # type: ignore[attr-defined]
    assert errors_of(snaps) == {ErrorClass.OK.value: 10}
    assert sum(s.bytes_in for s in snaps) > 10_000_000
