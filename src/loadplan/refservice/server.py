"""Running the reference service: index on disk, listening socket, uvicorn, clean stop.

``serve(config)`` blocks until SIGTERM or SIGINT and is what ``loadplan target serve`` calls
(``background.py`` runs the same service on a thread or as a subprocess). The socket is bound
before uvicorn starts, so ``port=0`` works and the ready line carries the real port.

The ready line is the contract for programs that start the service as a subprocess: wait for a
stdout line starting with ``READY_PREFIX``; the rest of the line is the base URL::

    loadplan target: ready at http://127.0.0.1:8080
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from loadplan.refservice.config import ServiceConfig
from loadplan.refservice.corpus import CorpusSpec
from loadplan.refservice.errors import ServiceStartError
from loadplan.refservice.index import (
    INDEX_FILE,
    build_main,
    index_fingerprint,
    stored_fingerprint,
)
from loadplan.refservice.process import ReadyServer, StopSignals, make_parts, uvicorn_config
from loadplan.refservice.workers import run_workers

READY_PREFIX = "loadplan target: ready at "


@dataclass(frozen=True, slots=True)
class PreparedIndex:
    """An index file ready to open, and how it came to be.

    Attributes:
        path: the index file.
        built: True if built now, False if reused from the data dir.
        seconds: time taken to build or to check for reuse.
        temp_dir: a directory to delete at exit (None when the index lives in a data dir).
    """

    path: Path
    built: bool
    seconds: float
    temp_dir: Path | None = None

    def cleanup(self) -> None:
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def prepare_index(config: ServiceConfig) -> PreparedIndex:
    """Reuse the index in ``config.data_dir`` if its fingerprint matches, else build one."""
    started = time.perf_counter()
    spec = config.corpus()
    temp_dir = None
    if config.data_dir is None:
        temp_dir = Path(tempfile.mkdtemp(prefix="loadplan-target-"))
        directory = temp_dir
    else:
        directory = config.data_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"--data-dir {directory}: cannot create it ({exc.strerror}); pick a writable dir"
            raise ServiceStartError(msg) from None
    path = directory / INDEX_FILE
    if stored_fingerprint(path) == index_fingerprint(spec):
        return PreparedIndex(path, False, time.perf_counter() - started, temp_dir)
    _build_in_child(path, spec)
    return PreparedIndex(path, True, time.perf_counter() - started, temp_dir)


def _build_in_child(path: Path, spec: CorpusSpec) -> None:
    """Build the index in a child process.

    Generating the corpus loads every language's wordfreq table: about 500 MB resident that the
    serving process would otherwise keep (measured: 563 MB after a build in-process, 60 MB when
    reusing the index). A child returns all of it to the system when it exits.
    """
    if not os.access(path.parent, os.W_OK):
        msg = f"--data-dir {path.parent}: not writable; pick a writable dir"
        raise ServiceStartError(msg)
    proc = multiprocessing.get_context("spawn").Process(
        target=build_main, args=(path, spec), name="loadplan-target-build"
    )
    proc.start()
    try:
        proc.join()
    except BaseException:
        proc.terminate()  # a stop signal while building: abandon the build
        proc.join()
        raise
    finally:
        code = proc.exitcode
        proc.close()
    if code != 0:
        msg = f"index build for {path} failed with code {code} (see above); check disk and --docs"
        raise ServiceStartError(msg)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0: any free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        msg = f"--host {host}: cannot resolve or use it ({exc}); use e.g. 127.0.0.1"
        raise ServiceStartError(msg) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        msg = (
            f"--host {host} --port {port}: cannot listen ({exc.strerror}); "
            "pick another --port, or --port 0 for any free one"
        )
        raise ServiceStartError(msg) from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(config: ServiceConfig, out: TextIO | None = None) -> None:
    """Run the service until SIGTERM or SIGINT, printing progress and the ready line to ``out``.

    Raises ServiceStartError (one line) if it cannot start: Redis unreachable, port taken.
    """
    stream = out if out is not None else sys.stdout

    def say(line: str) -> None:
        print(f"loadplan target: {line}", file=stream, flush=True)

    with StopSignals() as signals:
        if config.cache.kind == "redis" and config.cache.url:
            from loadplan.refservice.redis_cache import check_reachable

            check_reachable(config.cache.url)
        prepared = prepare_index(config)
        try:
            how = "built" if prepared.built else "reused"
            say(f"index {how} in {prepared.seconds:.2f} s: {prepared.path}")
            sock = bind_socket(config.host, config.port)
            with sock:
                url = url_of(sock)
                cap = f"{config.max_concurrency} per process" if config.max_concurrency else "none"
                say(
                    f"{config.docs} documents in {len(config.languages)} languages; "
                    f"cache {config.cache.describe()}; faults: {config.faults.describe()}; "
                    f"workers {config.workers}; /search cap {cap}"
                )
                say(f"url {url}")

                def ready() -> None:
                    say(f"ready at {url}")

                signals.serving = True
                if config.workers == 1:
                    parts = make_parts(config, prepared.path)
                    ReadyServer(uvicorn_config(parts), on_ready=ready).run(sockets=[sock])
                else:
                    run_workers(config, prepared.path, sock, ready, signals)
        finally:
            prepared.cleanup()
        name = signal.Signals(signals.received).name if signals.received else "shutdown"
        say(f"stopped ({name})")
