"""refservice/server.py and workers.py: index reuse, port errors, Redis checks, N workers."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from loadplan.refservice.background import ServiceProcess
from loadplan.refservice.config import parse_config
from loadplan.refservice.errors import ServiceStartError
from loadplan.refservice.index import INDEX_FILE, stored_fingerprint
from loadplan.refservice.redis_cache import check_reachable
from loadplan.refservice.server import bind_socket, prepare_index

from .conftest import DOCS, SEED
from .support import free_port


def test_index_in_the_data_dir_is_reused_when_its_fingerprint_matches(index_dir: Path) -> None:
    prepared = prepare_index(parse_config(docs=DOCS, seed=SEED, data_dir=index_dir))
    assert not prepared.built
    assert prepared.path == index_dir / INDEX_FILE


def test_a_changed_corpus_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / INDEX_FILE).write_bytes(b"an index of another corpus")
    prepared = prepare_index(parse_config(docs=20, languages="hi", data_dir=tmp_path))
    assert prepared.built
    assert stored_fingerprint(prepared.path) is not None


def test_a_taken_port_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServiceStartError) as info:
            bind_socket("127.0.0.1", port)
    message = str(info.value)
    assert f"--port {port}: cannot listen" in message
    assert "--port 0" in message
    assert "\n" not in message


def test_unreachable_redis_is_one_clear_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(ServiceStartError) as info:
        check_reachable(url)
    assert str(info.value).startswith(f"--cache {url}: Redis is not reachable")
    assert "or use --cache lru" in str(info.value)


def test_workers_share_the_socket_and_stop_cleanly(index_dir: Path) -> None:
    args = ["--port", "0", "--docs", str(DOCS), "--data-dir", str(index_dir), "--workers", "2"]
    with ServiceProcess.start(args) as svc:
        for _ in range(4):
            with urllib.request.urlopen(svc.url + "/search?q=de&lang=es") as reply:
                assert reply.status == 200
    assert svc.returncode == 0
    assert svc.stdout[-1] == "loadplan target: stopped (SIGTERM)"
    assert "workers 2" in "\n".join(svc.stdout)
