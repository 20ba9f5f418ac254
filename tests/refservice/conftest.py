"""Fixtures for the reference service: one index per session, services on real sockets.

``service(...)`` starts the service on a thread of the test process, on 127.0.0.1 and a free
port, with the session's index, and stops it after the test. ``client`` is a keep-alive HTTP
client (``support.Http``) that reports status, headers, body and latency per request.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loadplan.refservice.background import RunningService, start_in_thread
from loadplan.refservice.config import parse_config
from loadplan.refservice.corpus import CorpusSpec
from loadplan.refservice.index import INDEX_FILE, build

from .support import Http, RedisServer

DOCS = 2000
SEED = 42


@pytest.fixture(scope="session")
def corpus_spec() -> CorpusSpec:
    return CorpusSpec(docs=DOCS, seed=SEED)


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus_spec: CorpusSpec) -> Path:
    """A data dir holding the session's index; ``--data-dir`` here reuses it."""
    directory = tmp_path_factory.mktemp("refservice-data")
    build(directory / INDEX_FILE, corpus_spec)
    return directory


@pytest.fixture
def service(index_dir: Path) -> Iterator[Callable[..., RunningService]]:
    """Start a service with ``parse_config`` options; every one started is stopped afterwards."""
    started: list[RunningService] = []

    def start(**options: Any) -> RunningService:
        options.setdefault("port", 0)
        options.setdefault("docs", DOCS)
        options.setdefault("seed", SEED)
        svc = start_in_thread(parse_config(**options), index_path=index_dir / INDEX_FILE)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()


@pytest.fixture
def client() -> Iterator[Http]:
    c = Http()
    yield c
    c.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; .ci/run must apt-get install it")
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.kill()
