"""Cache flushes before cold stages: called on time through the admin hook, or noted."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from loadplan.analysis.slo import event_row
from loadplan.scenarios.flush import LEAD_S, CacheFlusher, FlushHook
from tests.conftest import Answer, TinyHttp


def test_flushes_just_before_each_cold_stage(tiny_http: Callable[[Answer], TinyHttp]) -> None:
    server = tiny_http(lambda: (200, b'{"flushed": 3}'))
    hook = FlushHook(server.url + "/admin/cache/flush", "POST", (("Authorization", "Bearer t"),))
    flusher = CacheFlusher(hook, [("cold", 0.3), ("cold-again", 0.5)])
    start_ns = time.monotonic_ns()
    flusher.start(start_ns)
    time.sleep(0.7)
    flusher.stop()
    assert [(e.stage, e.ok, e.detail) for e in flusher.events] == [
        ("cold", True, 'HTTP 200: {"flushed": 3}'),
        ("cold-again", True, 'HTTP 200: {"flushed": 3}'),
    ]
    first = flusher.events[0].t_s
    assert first is not None
    assert first >= 0.3 - LEAD_S - 0.01  # never earlier than the lead before the stage
    method, path, headers = server.seen[0]
    assert (method, path, headers["Authorization"]) == ("POST", "/admin/cache/flush", "Bearer t")


@pytest.mark.parametrize(
    ("status", "detail"),
    [(401, "answered HTTP 401"), (None, "unreachable")],
    ids=["refused-token", "no-server"],
)
def test_a_failed_flush_is_recorded_not_raised(
    tiny_http: Callable[[Answer], TinyHttp], status: int | None, detail: str
) -> None:
    url = tiny_http(lambda: (status or 200, b"no")).url if status else "http://127.0.0.1:9"
    flusher = CacheFlusher(FlushHook(url + "/flush", timeout_s=1.0), [("cold", 0.0)])
    flusher.start(time.monotonic_ns())
    time.sleep(0.2)
    flusher.stop()
    (event,) = flusher.events
    assert event.ok is False
    assert detail in event.detail
    assert event_row(event).measured.startswith("not flushed: ")


def test_without_a_hook_the_stage_is_noted() -> None:
    flusher = CacheFlusher(None, [("cache-cold", 10.0)])
    flusher.start(time.monotonic_ns())
    flusher.stop()
    (event,) = flusher.events
    assert (event.stage, event.t_s, event.ok) == ("cache-cold", None, False)
    assert "no [admin] cache_flush" in event.detail
    assert event.to_json()["event"] == "cache flush"
