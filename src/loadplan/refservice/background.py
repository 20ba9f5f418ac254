"""The reference service beside other code: on a thread of this process, or as a subprocess.

Tests and ``loadplan demo`` need a target that starts in a second and stops cleanly. A thread is
the cheapest (one process, shared index file); a subprocess is the real thing, started exactly
as a user would (``loadplan target serve``) and watched for its ready line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from loadplan.refservice.app import AppParts
from loadplan.refservice.config import ServiceConfig
from loadplan.refservice.errors import ServiceStartError
from loadplan.refservice.process import ReadyServer, make_parts, uvicorn_config
from loadplan.refservice.server import READY_PREFIX, bind_socket, prepare_index, url_of


class RunningService:
    """A service running on a thread of this process; stop it with ``stop()`` or ``with``.

    Example::

        with start_in_thread(parse_config(port=0, docs=2000)) as svc:
            urllib.request.urlopen(svc.url + "/healthz")
    """

    def __init__(self, server: ReadyServer, parts: AppParts, url: str) -> None:
        self.server = server
        self.parts = parts
        self.url = url
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.cleanup: Callable[[], None] = lambda: None

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout)
        self.cleanup()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    config: ServiceConfig, index_path: Path | None = None, timeout: float = 60.0
) -> RunningService:
    """Start the service on a daemon thread and return once it accepts connections.

    ``index_path`` reuses an already built index file; otherwise one is prepared as ``serve``
    does (and a temporary one is deleted on ``stop()``).
    """
    prepared = None
    if index_path is None:
        prepared = prepare_index(config)
        index_path = prepared.path
    sock = bind_socket(config.host, config.port)
    parts = make_parts(config, index_path)
    ready = threading.Event()
    server = ReadyServer(uvicorn_config(parts, quiet_logging=True), on_ready=ready.set)
    service = RunningService(server, parts, url_of(sock))
    if prepared is not None:
        service.cleanup = prepared.cleanup

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # handed to the starting thread, which re-raises it
            service.error = exc
        finally:
            sock.close()
            ready.set()

    service.thread = threading.Thread(target=run, name="loadplan-target", daemon=True)
    service.thread.start()
    if not ready.wait(timeout) or service.error is not None or not server.started:
        service.stop()
        msg = f"reference service did not start within {timeout:g} s ({service.error!r})"
        raise ServiceStartError(msg)
    return service


class ServiceProcess:
    """``loadplan target serve`` as a child process, its output collected line by line.

    Example::

        with ServiceProcess.start(["--port", "0", "--docs", "2000"]) as svc:
            urllib.request.urlopen(svc.url + "/healthz")
        svc.returncode  # 0 after a clean SIGTERM stop
    """

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.url = ""
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._ready = threading.Event()
        self._readers = [
            threading.Thread(target=self._read, args=(proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(proc.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @classmethod
    def start(
        cls,
        args: Sequence[str],
        timeout: float = 120.0,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ServiceProcess:
        """Run ``python -m loadplan target serve ARGS``; return once it prints its ready line."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "loadplan", "target", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        service = cls(proc)
        deadline = time.monotonic() + timeout
        while not service._ready.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                service.stop(signal.SIGKILL)
                tail = " | ".join(service.stderr[-3:] or service.stdout[-3:])
                code = proc.returncode
                msg = f"loadplan target serve exited or hung before ready (code {code}): {tail}"
                raise ServiceStartError(msg)
        return service

    def _read(self, stream: IO[str], lines: list[str]) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            lines.append(line)
            if line.startswith(READY_PREFIX):
                self.url = line[len(READY_PREFIX) :].strip()
                self._ready.set()

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig``, wait for the exit, and return the exit code (killing after ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for reader in self._readers:
            reader.join(5.0)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
