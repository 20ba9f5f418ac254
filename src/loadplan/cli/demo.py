"""``loadplan demo``: the reference search service and a short load run against it, on this machine.

It starts ``loadplan target serve`` as a subprocess on a free 127.0.0.1 port (pinned to its own
core when there are two or more, with the generator on another, so neither measures the other's
CPU use), waits for its ready line, runs an open-loop multilingual head/tail load with the cache
status captured as a tag, prints the summary and stops the service.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from loadplan.errors import TargetError

READY_PREFIX = "loadplan target: ready at "


@contextlib.contextmanager
def reference_service(docs: int, console: Console, timeout_s: float = 180.0) -> Iterator[str]:
    """Run the reference service for the duration of the block; yield its URL."""
    cores = sorted(os.sched_getaffinity(0))
    cmd = [sys.executable, "-m", "loadplan", "target", "serve", "--port", "0", "--docs", str(docs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        if len(cores) >= 2:
            os.sched_setaffinity(proc.pid, {cores[-1]})
            os.sched_setaffinity(0, set(cores[:-1]))
        deadline = time.monotonic() + timeout_s
        assert proc.stdout is not None  # stdout=PIPE above
        url = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                msg = f"the reference service exited (code {proc.wait()}) before it was ready"
                raise TargetError(msg)
            console.print(line.rstrip(), highlight=False)
            if line.startswith(READY_PREFIX):
                url = line[len(READY_PREFIX) :].strip()
                break
        if not url:
            msg = f"the reference service was not ready within {timeout_s:g}s"
            raise TargetError(msg)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        os.sched_setaffinity(0, set(cores))


def demo_overrides(url: str, rate: float, duration: str, out: Path) -> dict[tuple[str, ...], Any]:
    return {
        ("target", "url"): ("demo", url),
        ("load", "rate"): ("--rate", rate),
        ("load", "duration"): ("--duration", duration),
        ("load", "arrivals"): ("demo", "poisson"),
        ("client", "capture_header"): ("demo", "X-Cache"),
        ("client", "timeout"): ("demo", "5s"),
        # Head/tail search traffic over every built-in language: Zipf s = 1 over 20k distinct
        # queries per language, so a hot head caches and a long tail does not.
        ("workload",): (
            "demo",
            {
                "seed": 42,
                "source": {"kind": "builtin", "pool_size": 20_000},
                "popularity": {"model": "zipf", "s": 1.0},
                "template": {"path": "/search", "params": {"q": "{query}", "lang": "{lang}"}},
            },
        ),
        ("output", "dir"): ("--out", str(out)),
    }


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        rate: Annotated[float, typer.Option(help="requests per second")] = 300.0,
        duration: Annotated[str, typer.Option(help="how long to load, e.g. 30s or 2h")] = "20s",
        docs: Annotated[int, typer.Option(help="documents in the reference corpus")] = 5000,
        out: Annotated[Path | None, typer.Option(help="run directory")] = None,
    ) -> None:
        """Start the reference search service and run a short load against it."""
        from loadplan.cli.run import command_line, default_run_dir, run_plan
        from loadplan.plan.load import load_plan

        console = Console()
        run_dir = out or default_run_dir()
        with reference_service(docs, console) as url:
            plan, _ = load_plan(None, demo_overrides(url, rate, duration, run_dir))
            code = run_plan(plan, None, console, command=command_line())
        raise typer.Exit(code)
