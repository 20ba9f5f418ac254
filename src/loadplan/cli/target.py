"""``loadplan target serve``: the reference search service, to load out of the box.

Parses options into a ``ServiceConfig`` (errors become one line each and exit 2) and calls
``refservice.server.serve``, which blocks until SIGTERM or SIGINT and then returns, so the
command exits 0 after a clean stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``target`` command group to the loadplan app."""
    target = typer.Typer(
        name="target",
        help="The reference search service (the embedded default target).",
        no_args_is_help=True,
    )

    @target.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8080,
        docs: Annotated[int, typer.Option(help="Documents, split across languages.")] = 50_000,
        cache: Annotated[
            str, typer.Option(help="lru | none | redis://HOST:PORT/DB (shared cache).")
        ] = "lru",
        cache_size: Annotated[int, typer.Option(help="Entries of the lru cache.")] = 10_000,
        cache_ttl: Annotated[str, typer.Option(help="Entry lifetime, e.g. 300s.")] = "300s",
        workers: Annotated[int, typer.Option(help="Server processes on one socket.")] = 1,
        seed: Annotated[int, typer.Option(help="Seeds the corpus and the fault dice.")] = 42,
        data_dir: Annotated[
            Path | None, typer.Option(help="Keep the index here; restarts reuse it.")
        ] = None,
        admin_token: Annotated[
            str | None,
            typer.Option(
                help="Bearer token for POST /admin/cache/flush (or set the environment"
                " variable, which other users cannot read in the process list).",
                envvar="LOADPLAN_TARGET_ADMIN_TOKEN",
            ),
        ] = None,
        languages: Annotated[
            str | None, typer.Option(help="Comma-separated codes (default: all).")
        ] = None,
        query_threads: Annotated[
            int, typer.Option(help="Run index queries on N threads (0: inline).")
        ] = 0,
        added_latency: Annotated[
            str | None, typer.Option(help="Add LATENCY[:JITTER] to /search, e.g. 20ms:5ms.")
        ] = None,
        error_rate: Annotated[float, typer.Option(help="Fraction of /search answered 500.")] = 0.0,
        stall_every: Annotated[
            str | None, typer.Option(help="Open a stall window this often, e.g. 30s.")
        ] = None,
        stall_for: Annotated[
            str | None, typer.Option(help="Length of each stall window, e.g. 1s.")
        ] = None,
        slow_fraction: Annotated[
            str | None, typer.Option(help="FRACTION:DELAY of slow /search, e.g. 0.05:500ms.")
        ] = None,
        max_concurrency: Annotated[
            int | None,
            typer.Option(
                help="Serve at most N /search at once per process; the rest queue in arrival"
                " order (with --added-latency D: capacity ~ N/D req/s). Default: no cap."
            ),
        ] = None,
    ) -> None:
        """Serve a multilingual search API (FTS5 index, result cache, /metrics, faults)."""
        from loadplan.refservice.config import parse_config
        from loadplan.refservice.server import serve as run

        config = parse_config(
            host=host,
            port=port,
            docs=docs,
            cache=cache,
            cache_size=cache_size,
            cache_ttl=cache_ttl,
            workers=workers,
            seed=seed,
            data_dir=data_dir,
            admin_token=admin_token,
            languages=languages,
            query_threads=query_threads,
            added_latency=added_latency,
            error_rate=error_rate,
            stall_every=stall_every,
            stall_for=stall_for,
            slow_fraction=slow_fraction,
            max_concurrency=max_concurrency,
        )
        run(config)

    app.add_typer(target)
