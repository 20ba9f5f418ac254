"""Helpers for the reference service tests: an HTTP client that measures, metric lookup, Redis."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    latency: float
    done: float

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """Keep-alive HTTP/1.1 to one base URL; one connection per thread, all closed at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._conns: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _conn(self, base: str) -> http.client.HTTPConnection:
        conns: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault("c", {})
        conn = conns.get(base)
        if conn is None:
            parts = urllib.parse.urlsplit(base)
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
            conns[base] = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def request(
        self,
        base: str,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = self._conn(base)
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                conn.request(method, path, headers=headers or {})
                resp = conn.getresponse()
                body = resp.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected):
                conn.close()  # the server closed an idle keep-alive connection: redial once
                if attempt == 2:
                    raise
        done = time.perf_counter()
        return Reply(
            resp.status,
            {k.lower(): v for k, v in resp.getheaders()},
            body,
            done - started,
            done,
        )

    def get(self, base: str, path: str, **params: object) -> Reply:
        query = urllib.parse.urlencode(params) if params else ""
        return self.request(base, f"{path}?{query}" if query else path)

    def many(self, base: str, paths: Sequence[str], concurrency: int = 16) -> list[Reply]:
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(lambda p: self.request(base, p), paths))

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()


def search_path(q: str, lang: str, **extra: object) -> str:
    return "/search?" + urllib.parse.urlencode({"q": q, "lang": lang, **extra})


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, or 0.0 if absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A real redis-server on 127.0.0.1, no persistence, restartable on the same port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        args += ["no", "--dir", str(self.directory), "--loglevel", "warning"]
        self.proc = subprocess.Popen(
            [self.binary, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        msg = f"redis-server did not answer on port {self.port}"
        raise RuntimeError(msg)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
