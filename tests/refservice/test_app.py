"""refservice/app.py over real sockets: search in every language, cache headers agree with
/metrics, flush, and bad input answered 400/404/405 in JSON without stack traces."""

from __future__ import annotations

import logging
import socket
import urllib.parse
from collections.abc import Callable

import pytest

from loadplan.languages import SCRIPTS
from loadplan.refservice.background import RunningService
from loadplan.refservice.corpus import CorpusSpec, generate_language
from loadplan.workload.vocab import vocabulary

from .support import Http, metric, search_path


@pytest.fixture
def svc(service: Callable[..., RunningService]) -> RunningService:
    return service(admin_token="sesame")


@pytest.mark.parametrize("lang", list(SCRIPTS))
def test_a_word_from_a_document_finds_it_over_http(
    svc: RunningService, client: Http, corpus_spec: CorpusSpec, lang: str
) -> None:
    rank = {w: i for i, w in enumerate(vocabulary(lang, corpus_spec.vocab_size).words)}
    doc = next(iter(generate_language(corpus_spec, lang)))
    word = max(doc.words, key=rank.__getitem__)
    reply = client.request(svc.url, search_path(word, lang, limit=100))
    assert reply.status == 200
    body = reply.json()
    assert body["query"] == word
    assert body["lang"] == lang
    assert body["total"] >= 1
    assert doc.id in [r["id"] for r in body["results"]]
    assert set(body["results"][0]) == {"id", "title", "snippet", "score"}
    assert body["took_ms"] >= 0
    assert reply.headers["content-type"] == "application/json"


def test_cjk_short_and_long_queries(svc: RunningService, client: Http) -> None:
    for lang, query in [("zh", "的"), ("zh", "我们"), ("ja", "日本"), ("ja", "の 日本")]:
        body = client.request(svc.url, search_path(query, lang)).json()
        assert body["total"] > 0, query
        assert body["results"], query


def test_x_cache_and_metrics_agree_with_the_requests_made(
    svc: RunningService, client: Http
) -> None:
    sequence = [
        (search_path("the", "en"), "MISS"),
        (search_path("the", "en"), "HIT"),
        (search_path("  THE ", "en"), "HIT"),  # same search: case and spacing do not matter
        (search_path("de", "es"), "MISS"),
        (search_path("the", "en", limit=5), "MISS"),  # another limit is another answer
        (search_path("the", "en"), "HIT"),
    ]
    for path, expected in sequence:
        reply = client.request(svc.url, path)
        assert (reply.status, reply.headers["x-cache"]) == (200, expected), path
    assert client.request(svc.url, "/search?q=&lang=en").status == 400  # not a cache lookup
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_cache_hits_total") == 3
    assert metric(text, "refservice_cache_misses_total") == 3
    assert metric(text, "refservice_cache_size") == 3
    labels = {"route": "/search", "method": "GET"}
    assert metric(text, "refservice_requests_total", status="200", **labels) == 6
    assert metric(text, "refservice_requests_total", status="400", **labels) == 1
    count = "refservice_request_duration_seconds_count"
    assert metric(text, count, route="/search", status="200") == 6
    inf = {"route": "/search", "status": "200", "le": "+Inf"}
    assert metric(text, "refservice_request_duration_seconds_bucket", **inf) == 6
    for lang in SCRIPTS:
        assert metric(text, "refservice_index_documents", lang=lang) == 200
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert metric(text, name) > 0
    assert metric(text, "process_start_time_seconds") > 1e9
    assert metric(text, "refservice_cache_up") == 1

    flush = client.request(
        svc.url, "/admin/cache/flush", "POST", {"Authorization": "Bearer sesame"}
    )
    assert (flush.status, flush.json()) == (200, {"flushed": 3, "cache": "lru"})
    assert client.request(svc.url, search_path("the", "en")).headers["x-cache"] == "MISS"
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_cache_size") == 1
    assert metric(text, "refservice_cache_misses_total") == 4


def test_evictions_counted_when_the_cache_is_full(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(cache_size=2)
    for word in ("the", "of", "and", "the"):
        client.request(svc.url, search_path(word, "en"))
    text = client.get(svc.url, "/metrics").body.decode()
    assert metric(text, "refservice_cache_evictions_total", reason="capacity") == 2
    assert metric(text, "refservice_cache_size") == 2
    assert metric(text, "refservice_cache_hits_total") == 0


def test_no_cache_means_every_search_misses(
    service: Callable[..., RunningService], client: Http
) -> None:
    svc = service(cache="none", query_threads=2)
    replies = [client.request(svc.url, search_path("the", "en")) for _ in range(3)]
    assert [r.headers["x-cache"] for r in replies] == ["MISS"] * 3
    assert replies[0].json()["results"] == replies[2].json()["results"]
    assert client.get(svc.url, "/healthz").json()["cache"] == "none"


def test_flush_needs_the_token(
    svc: RunningService, client: Http, service: Callable[..., RunningService]
) -> None:
    path = "/admin/cache/flush"
    missing = client.request(svc.url, path, "POST")
    assert missing.status == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.request(svc.url, path, "POST", {"Authorization": "Bearer nope"})
    assert (wrong.status, wrong.json()["error"]) == (403, "wrong admin token")
    tokenless = service()
    disabled = client.request(tokenless.url, path, "POST", {"Authorization": "Bearer x"})
    assert disabled.status == 403
    assert "start the service with --admin-token" in disabled.json()["error"]


def test_healthz(svc: RunningService, client: Http) -> None:
    body = client.get(svc.url, "/healthz").json()
    assert body["status"] == "ok"
    assert body["documents"] == 2000
    assert body["cache_ok"] is True
    assert set(body["languages"]) == set(SCRIPTS)


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("/search?lang=en", 400, "q is missing or empty"),
        ("/search?q=a&lang=xx", 400, "lang='xx' is not served"),
        ("/search?q=" + "a" * 600 + "&lang=en", 400, "q has 600 characters"),
        ("/search?q=%E0%A4&lang=hi", 400, "q is not valid UTF-8"),
        ("/search?q=%G1&lang=en", 400, "broken percent-escape"),
        ("/search?q=a&lang=en&limit=1000", 400, "limit=1000 is out of range"),
        ("/search?q=a&lang=en&limit=ten", 400, "limit='ten' is not a whole number"),
        ("/nowhere", 404, "no route /nowhere"),
        ("/search/", 404, "no route"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_bad_input_is_a_json_error_without_a_traceback(
    svc: RunningService,
    client: Http,
    caplog: pytest.LogCaptureFixture,
    target: str,
    status: int,
    message: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = client.request(svc.url, target)
    assert reply.status == status
    body = reply.json()
    assert body["status"] == status
    assert message in body["error"]
    assert b"Traceback" not in reply.body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_wrong_method_is_405_naming_the_allowed_ones(svc: RunningService, client: Http) -> None:
    reply = client.request(svc.url, search_path("a", "en"), "DELETE")
    assert reply.status == 405
    assert "use GET" in reply.json()["error"]
    assert client.request(svc.url, "/admin/cache/flush", "GET").status == 405
    assert client.request(svc.url, search_path("the", "en"), "HEAD").status == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /search?q=\xff\xfe&lang=en HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /search?q=%&lang=en HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ],
    ids=["raw-invalid-utf8", "lone-percent", "not-http"],
)
def test_broken_requests_get_400(svc: RunningService, raw: bytes) -> None:
    parts = urllib.parse.urlsplit(svc.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert b"Traceback" not in answer


def test_fts5_operators_in_queries_never_500(svc: RunningService, client: Http) -> None:
    queries = ['"', "AND", "a OR b", "NEAR(a b)", "*", "col:x", "(", "a -b", "'", "^x", "{}"]
    for lang in ("en", "zh", "hi"):
        for q in queries:
            reply = client.request(svc.url, search_path(q, lang))
            assert reply.status == 200, (lang, q, reply.body)
