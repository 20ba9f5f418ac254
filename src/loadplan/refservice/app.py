"""The HTTP API of the reference service, as a Starlette app.

Routes::

    GET  /search?q=..&lang=xx&limit=10   {query, lang, total, results: [{id, title, snippet,
                                          score}], took_ms}; header X-Cache: HIT | MISS | BYPASS
    GET  /healthz                        {status, documents, languages, cache, cache_ok}
    GET  /metrics                        Prometheus text format
    POST /admin/cache/flush              needs "Authorization: Bearer TOKEN"; {flushed: n}

Every error answer is JSON ``{"error": "...", "status": n}``: 400 names the bad parameter, 404
and 405 say what exists. None carries a stack trace, and none is logged with one.

Only the ``"total":..,"results":[..]`` part of a search answer is cached, as encoded bytes; the
query echo and ``took_ms`` are spliced around it per request, so a hit reports its own time and
costs no JSON encoding. ``X-Cache: BYPASS`` means the cache failed and the index answered.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadplan.refservice.cache import Cache, CacheUnavailable
from loadplan.refservice.config import ServiceConfig
from loadplan.refservice.faults import FaultDice, FaultMiddleware
from loadplan.refservice.gate import ConcurrencyGate, GateMiddleware
from loadplan.refservice.index import SearchIndex, SearchResult
from loadplan.refservice.metrics import CONTENT_TYPE, ServiceMetrics
from loadplan.refservice.params import BadRequest, parse_search


@dataclass(frozen=True, slots=True)
class AppParts:
    """What an app is built from; ``server.py`` makes these, tests may pass their own."""

    config: ServiceConfig
    index: SearchIndex
    cache: Cache
    metrics: ServiceMetrics
    dice: FaultDice | None = None


def create_app(parts: AppParts) -> Starlette:
    """The ASGI app. Closing (lifespan shutdown) closes the cache, the index and query threads."""
    config, index, cache, metrics = parts.config, parts.index, parts.cache, parts.metrics
    executor = (
        ThreadPoolExecutor(config.query_threads, thread_name_prefix="loadplan-query")
        if config.query_threads
        else None
    )
    run_query = _query_runner(index, executor)
    languages = frozenset(index.languages)

    search = _Search(cache, metrics, run_query, languages)

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "documents": index.documents,
                "languages": list(index.languages),
                "cache": cache.kind,
                "cache_ok": cache.healthy,
            }
        )

    async def metrics_route(request: Request) -> Response:
        try:
            metrics.set_cache(await cache.stats())
        except CacheUnavailable:
            metrics.set_cache(None)
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    async def flush(request: Request) -> Response:
        if config.admin_token is None:
            return _error(403, "cache flush is disabled; start the service with --admin-token")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(
                401,
                "missing bearer token; send 'Authorization: Bearer TOKEN'",
                {"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(token.strip().encode(), config.admin_token.encode()):
            return _error(403, "wrong admin token")
        try:
            flushed = await cache.flush()
        except CacheUnavailable as exc:
            return _error(503, f"cache unavailable: {exc}")
        return JSONResponse({"flushed": flushed, "cache": cache.kind})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await cache.close()
            if executor is not None:
                executor.shutdown(wait=True)
            index.close()

    middleware = [Middleware(_MetricsMiddleware, metrics=metrics)]
    # Outermost first: the metrics time the wait for a slot too, and a request holds its slot
    # through the injected delays, so the cap and the added latency make a known capacity.
    if config.max_concurrency is not None:
        gate = ConcurrencyGate(config.max_concurrency)
        metrics.watch_gate(gate)
        middleware.append(Middleware(GateMiddleware, gate=gate))
    if parts.dice is not None and parts.dice.config.active:
        middleware.append(Middleware(FaultMiddleware, dice=parts.dice, on_fault=metrics.fault))
    app = Starlette(
        routes=[
            Route("/search", search, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_route, methods=["GET"]),
            Route("/admin/cache/flush", flush, methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    # An API answers the path it was asked: /search/ is unknown (404), not a redirect to /search.
    app.router.redirect_slashes = False
    return app


def _query_runner(
    index: SearchIndex, executor: ThreadPoolExecutor | None
) -> Callable[[str, str, int], Awaitable[SearchResult]]:
    """Run a query inline (blocking the loop for its duration) or on the query threads."""
    if executor is None:

        async def inline(lang: str, query: str, limit: int) -> SearchResult:
            return index.search(lang, query, limit)

        return inline

    async def threaded(lang: str, query: str, limit: int) -> SearchResult:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, index.search, lang, query, limit)

    return threaded


def _encode_results(result: SearchResult) -> bytes:
    """The cacheable middle of a search answer: ``"total":N,"results":[...]``."""
    results = [
        {"id": h.id, "title": h.title, "snippet": h.snippet, "score": h.score} for h in result.hits
    ]
    payload = json.dumps(results, ensure_ascii=False, separators=(",", ":"))
    return f'"total":{result.total},"results":{payload}'.encode()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return await _internal_error(request, exc)
    if exc.status_code == 404:
        message = f"no route {request.url.path}; try /search, /healthz or /metrics"
    elif exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        allowed = ", ".join(sorted(m.strip() for m in allow.split(",") if m.strip()))
        message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
    else:
        message = exc.detail
    return _error(exc.status_code, message, dict(exc.headers or {}))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: answer without details; uvicorn logs the traceback for the operator.
    return _error(500, "internal error")


class _Search:
    """``GET /search`` as a plain ASGI app.

    Not a ``Request -> Response`` endpoint: on a cache hit, building Starlette's request and
    response objects was a measurable share of the work, and the answer here is bytes already.
    """

    def __init__(
        self,
        cache: Cache,
        metrics: ServiceMetrics,
        run_query: Callable[[str, str, int], Awaitable[SearchResult]],
        languages: frozenset[str],
    ) -> None:
        self.cache = cache
        self.metrics = metrics
        self.run_query = run_query
        self.languages = languages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            params = parse_search(scope["query_string"], self.languages)
        except BadRequest as exc:
            await _error(400, str(exc))(scope, receive, send)
            return
        key = params.cache_key
        state = b"MISS"
        fragment: bytes | None = None
        try:
            fragment = await self.cache.get(key)
        except CacheUnavailable:
            # A miss too: the index answered. Counted only as a bypass, an outage would leave
            # hits / (hits + misses) at its warm value, and the hit rate a run reads from
            # /metrics would not show it (the X-Cache tag's rate, HIT / all, does).
            state = b"BYPASS"
            self.metrics.cache_misses.inc()
            self.metrics.cache_bypassed.inc()
        else:
            if fragment is None:
                self.metrics.cache_misses.inc()
            else:
                state = b"HIT"
                self.metrics.cache_hits.inc()
        if fragment is None:
            result = await self.run_query(params.lang, params.query, params.limit)
            fragment = _encode_results(result)
            if state == b"MISS":
                try:
                    await self.cache.set(key, fragment)
                except CacheUnavailable:
                    self.metrics.cache_bypassed.inc()
        took_ms = (time.perf_counter() - started) * 1e3
        body = b"".join(
            (
                b'{"query":',
                json.dumps(params.query, ensure_ascii=False).encode(),
                b',"lang":"',
                params.lang.encode(),
                b'",',
                fragment,
                b',"took_ms":',
                f"{took_ms:.3f}".encode(),
                b"}",
            )
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-cache", state),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _MetricsMiddleware:
    """Counts every answer and times it from arrival to the last body chunk sent."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            self.metrics.observe(
                scope["path"], scope["method"], status, time.perf_counter() - started
            )
