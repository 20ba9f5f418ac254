"""Hostile HTTP answers, sent over a real socket on 127.0.0.1: every request ends in exactly one
classified outcome, within its timeouts, with no exception escaping into the event loop.

One server runs in the test's own event loop for the whole module; each example opens a new
connection to it and the server answers with that example's bytes (split into writes at the
example's cut points), then closes or keeps the connection open. A socket per example costs a
few milliseconds; examples that keep the connection open wait for the 50 ms read timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvloop
from hypothesis import example, given
from hypothesis import strategies as st

from loadplan.engine.client import ClientSettings, Pool, Target
from loadplan.engine.recorder import Recorder
from loadplan.engine.request import ErrorClass, Request

SETTINGS = ClientSettings(connections=1, connect_timeout=1.0, read_timeout=0.05, total_timeout=0.5)
HANG = 3.0
"""Seconds after which an unfinished request is a hang (the timeouts above end it in 0.5 s)."""


@dataclass
class Script:
    """What the server does on the next connection."""

    writes: list[bytes] = field(default_factory=list)
    close: bool = True


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    port: int
    script: Script
    loop_errors: list[dict[str, Any]]

    def exchange(self, writes: list[bytes], close: bool) -> tuple[dict[str, int], dict[int, int]]:
        """Send one request, the server answers ``writes``; the recorder's (errors, statuses)."""
        self.script.writes, self.script.close = writes, close
        errors, statuses = self.loop.run_until_complete(self._exchange())
        assert self.loop_errors == [], self.loop_errors
        return errors, statuses

    async def _exchange(self) -> tuple[dict[str, int], dict[int, int]]:
        recorder = Recorder()
        pool = Pool(Target.parse(f"http://127.0.0.1:{self.port}"), SETTINGS, recorder, self.loop)
        finished = asyncio.Event()
        pool.on_finished = finished.set
        pool.start_sweeper(0.01)
        pool.submit(time.monotonic_ns(), Request(target="/x"))
        try:
            await asyncio.wait_for(finished.wait(), HANG)
        except TimeoutError:
            pytest.fail(f"no outcome within {HANG} s: the client hung")
        finally:
            pool.close()
        await asyncio.sleep(0)  # let the aborted transport's callbacks run
        raw = recorder.cut(0, 0.0, 1.0)
        return raw.errors, raw.statuses


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    loop = uvloop.new_event_loop()
    script = Script()
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writes, close = list(script.writes), script.close
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HANG)
            for chunk in writes:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0)
            if not close:
                await asyncio.wait_for(reader.read(), HANG)  # until the client gives up
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort() if not close else writer.close()

    server = loop.run_until_complete(asyncio.start_server(answer, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    yield Harness(loop, port, script, loop_errors)
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()


# --- responses ---------------------------------------------------------------------------------

TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~",
    min_size=1,
    max_size=12,
)
VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).map(
    str.strip
)
FRAMING = {"content-length", "transfer-encoding", "connection", "upgrade", "keep-alive"}


@dataclass(frozen=True)
class Response:
    status: int
    wire: bytes


@st.composite
def responses(draw: st.DrawFn) -> Response:
    """A well-formed HTTP/1.1 answer, framed by Content-Length or chunked encoding."""
    # 1xx, 204 and 304 have no body whatever their headers say; left out so every answer's
    # end is where its framing says.
    status = draw(st.integers(200, 599).filter(lambda s: s not in (204, 304)))
    reason = draw(st.sampled_from(["OK", "", "Whatever It Likes", "Ж".encode().decode("latin-1")]))
    headers = draw(st.lists(st.tuples(TOKEN, VALUE), max_size=4))
    headers = [(n, v) for n, v in headers if n.lower() not in FRAMING]
    body = draw(st.binary(max_size=300))
    if not draw(st.booleans()):
        headers.append(("Connection", "close"))
    if draw(st.booleans()):
        headers.append(("Content-Length", str(len(body))))
        payload = body
    else:
        headers.append(("Transfer-Encoding", "chunked"))
        cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p) + b"0\r\n\r\n"
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    return Response(status, head.encode("latin-1") + b"\r\n" + payload)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True) if b > a]


CUTS = st.lists(st.integers(0, 10_000), max_size=5)


@given(response=responses(), cuts=CUTS, close=st.booleans())
def test_a_whole_answer_counts_as_its_status(
    harness: Harness, response: Response, cuts: list[int], close: bool
) -> None:
    errors, statuses = harness.exchange(split(response.wire, cuts), close)
    assert errors == {ErrorClass.for_status(response.status).value: 1}
    assert statuses == {response.status: 1}


@given(response=responses(), keep=st.integers(0, 10_000), cuts=CUTS, close=st.booleans())
def test_a_truncated_answer_is_never_ok(
    harness: Harness, response: Response, keep: int, cuts: list[int], close: bool
) -> None:
    wire = response.wire[: keep % len(response.wire)]  # a strict prefix, maybe empty
    errors, _ = harness.exchange(split(wire, cuts), close)
    if not close:
        expected = ErrorClass.TIMEOUT
    elif wire:
        expected = ErrorClass.PROTOCOL_ERROR  # closed mid-answer
    else:
        expected = ErrorClass.CONNECTION_RESET  # closed before answering
    assert errors == {expected.value: 1}


BAD = st.sampled_from(
    [
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 200\r\n\r\n",
        b"HTTP/1.1 99 Low\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 1000 High\r\nContent-Length: 0\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00",  # a TLS record: the server speaks https
        b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",  # bare LF line ends
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok",
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nok\r\n0\r\n\r\n"
        ),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=\x00\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",  # answers twice
        b"HTTP/1.1 200 OK\r\n\r\nbody until close",
        b"\r\n\r\n\r\n",
    ]
)


@st.composite
def hostile(draw: st.DrawFn) -> bytes:
    """Bad answers: known-bad forms, random bytes, and good answers with a slice replaced."""
    kind = draw(st.sampled_from(["bad", "random", "mutated"]))
    if kind == "bad":
        return draw(BAD)
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=200))
    wire = draw(responses()).wire
    start = draw(st.integers(0, len(wire)))
    end = draw(st.integers(start, min(len(wire), start + 8)))
    junk = draw(st.binary(max_size=8) | st.sampled_from([b"\r\n", b"\n", b"\x00", b":", b" "]))
    return wire[:start] + junk + wire[end:]


@given(wire=hostile(), cuts=CUTS, close=st.booleans())
@example(wire=b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", cuts=[], close=True)
def test_a_hostile_answer_gets_exactly_one_outcome(
    harness: Harness, wire: bytes, cuts: list[int], close: bool
) -> None:
    errors, _ = harness.exchange(split(wire, cuts), close)
    assert sum(errors.values()) == 1, errors
    assert set(errors) <= {e.value for e in ErrorClass}


# --- each known-bad form, and what it counts as --------------------------------------------------

P, T, OK = ErrorClass.PROTOCOL_ERROR, ErrorClass.TIMEOUT, ErrorClass.OK


@pytest.mark.parametrize(
    ("wire", "closed", "kept_open"),
    [
        (b"HTTP/1.1 2OO OK\r\n\r\n", P, P),
        (b"HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n", P, P),
        (b"ICY 200 OK\r\n\r\n", P, P),
        (b"HTTP/1.1 99 Low\r\nContent-Length: 0\r\n\r\n", P, P),
        (b"HTTP/1.1 1000 High\r\nContent-Length: 0\r\n\r\n", P, P),
        (b"\x16\x03\x01\x00\xa5\x01\x00", P, P),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok", P, P),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n", P, P),
        (b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n", P, P),
        # Found sending the BAD forms one by one: HttpParserUpgrade is no HttpParserError, so
        # it escaped data_received into the loop's error log and the request counted as "other".
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", P, P),
        # A valid close-delimited body (RFC 9112 6.3): httptools has no end-of-input call, so
        # the close reads as mid-answer. Pinned here; see docs/testing-hostile-input.md.
        (b"HTTP/1.1 200 OK\r\n\r\nbody until close", P, T),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", OK, OK),
    ],
    ids=[
        "status-not-digits",
        "http-9.9",
        "icy",
        "status-99",
        "status-1000",
        "tls-record",
        "negative-length",
        "length-overflows",
        "two-lengths",
        "chunk-size-not-hex",
        "chunk-longer-than-size",
        "chunk-size-overflows",
        "nul-in-header",
        "space-in-header-name",
        "unasked-upgrade",
        "close-delimited-body",
        "gzip-then-chunked",
    ],
)  # fmt: skip
def test_known_bad_answers(
    harness: Harness, wire: bytes, closed: ErrorClass, kept_open: ErrorClass
) -> None:
    assert harness.exchange([wire], close=True)[0] == {closed.value: 1}
    assert harness.exchange([wire], close=False)[0] == {kept_open.value: 1}
