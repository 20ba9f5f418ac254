"""``loadplan demo``: the reference search service and the sign-off suite against it, here.

It starts ``loadplan target serve`` as a subprocess on a free 127.0.0.1 port (pinned to its own
core when there are two or more, with the generator on another, so neither measures the other's
CPU use), waits for its ready line, loads ``examples/reference-service.toml`` (shipped as package
data, so the demo and the example are one file) with the service's URL and admin token filled in,
runs the suite at the sign-off's own rates shortened to a few minutes, prints the verdict and
the capacity plan, stops the service and exits with the verdict's code.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import secrets
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

DEMO_RATE = 1000.0
"""The demo's sustained rate: the sign-off's own 1000 req/s (its spike reaches 2000), with the
stages shortened in time only. Where the service cannot have a core of its own (one core), half
of it, and the demo says so."""


SIGN_OFF = "1000 req/s for 2h"


def demo_plan() -> contextlib.AbstractContextManager[Path]:
    """A real path to ``examples/reference-service.toml`` (package data)."""
    resource = importlib.resources.files("loadplan") / "examples" / "reference-service.toml"
    return importlib.resources.as_file(resource)


@contextlib.contextmanager
def reference_service(
    docs: int, console: Console, admin_token: str | None = None, timeout_s: float = 180.0
) -> Iterator[str]:
    """Run the reference service for the duration of the block; yield its URL."""
    cores = sorted(os.sched_getaffinity(0))
    cmd = [sys.executable, "-m", "loadplan", "target", "serve", "--port", "0", "--docs", str(docs)]
    if admin_token:
        cmd += ["--admin-token", admin_token]
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


def demo_overrides(
    url: str, token: str, rate: float, duration: str, out: Path
) -> dict[tuple[str, ...], tuple[str, Any]]:
    """The example plan, scaled: the URL and token of the started service, demo-sized stages."""
    demo = "demo"
    return {
        ("target", "url"): (demo, url),
        ("admin", "headers"): (demo, {"Authorization": f"Bearer {token}"}),
        ("load", "rate"): ("--rate", rate),
        ("load", "duration"): ("--duration", duration),
        ("suite", "baseline"): (demo, "10s"),
        ("suite", "ramp"): (demo, "10s"),
        ("suite", "spike"): (demo, "10s"),
        ("suite", "recovery"): (demo, "20s"),
        ("suite", "cache"): (demo, "10s"),
        ("suite", "breakpoint_step"): (demo, 0.25),
        ("suite", "breakpoint_to"): (demo, 6.0),
        ("suite", "step_duration"): (demo, "6s"),
        ("suite", "consecutive"): (demo, 3),
        ("slo", "drift_window"): (demo, "10s"),
        ("slo", "recovery"): (demo, "10s"),
        ("scrape", "interval"): (demo, "2s"),
        ("output", "dir"): ("--out", str(out)),
    }


def scaling_note(rate: float, duration: str, pinned: bool) -> str:
    """What the demo changed from the sign-off, and where each process ran: only facts."""
    where = (
        "the reference service has a core of its own and the generator the other"
        if pinned
        else "the reference service and the generator share this machine's core"
    )
    scaled = "the sign-off's own rates" if rate == DEMO_RATE else f"{rate:g} req/s"
    return (
        f"the sign-off in examples/reference-service.toml is {SIGN_OFF}; the demo runs "
        f"{scaled} (sustained {rate:g} req/s, spike {2 * rate:g}) for {duration}, other stages "
        f"10-20 s, and a breakpoint staircase in 6 s steps of {rate / 4:g} req/s; {where}. "
        "The breakpoint and the capacity plan at the end measure this machine today. "
        "--duration 2h runs a full-length sustained stage."
    )


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        rate: Annotated[
            float | None, typer.Option(help="sustained rate [default: 1000, 500 on one core]")
        ] = None,
        duration: Annotated[
            str, typer.Option(help="sustained stage length, e.g. 60s, or 2h for the full one")
        ] = "60s",
        docs: Annotated[int, typer.Option(help="documents in the reference corpus")] = 5000,
        out: Annotated[Path | None, typer.Option(help="run directory")] = None,
    ) -> None:
        """Start the reference search service, run the sign-off suite scaled to this machine."""
        from loadplan.cli.run import command_line, default_run_dir, run_plan
        from loadplan.cli.suite import print_stages
        from loadplan.plan.load import load_plan
        from loadplan.plan.scenario import Scenario
        from loadplan.scenarios.suite import with_suite_stages

        console = Console()
        pinned = len(os.sched_getaffinity(0)) >= 2
        rate = rate if rate is not None else (DEMO_RATE if pinned else DEMO_RATE / 2)
        run_dir = out or default_run_dir()
        token = secrets.token_hex(8)
        with demo_plan() as path, reference_service(docs, console, admin_token=token) as url:
            overrides = demo_overrides(url, token, rate, duration, run_dir)
            plan, source = load_plan(path, overrides)
            plan = with_suite_stages(plan, source)
            console.print(scaling_note(rate, duration, pinned), highlight=False, soft_wrap=True)
            print_stages(Scenario.from_plan(plan), console)
            code = run_plan(plan, path, console, source, command_line())
        found = _breakpoint(run_dir)
        if found:
            console.print(found, highlight=False, soft_wrap=True)
        raise typer.Exit(code)


def _breakpoint(run_dir: Path) -> str:
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    found = summary.get("breakpoint") or {}
    if found.get("reached"):
        good = found.get("last_good_rate")
        held = f"held the SLA up to {good:g} req/s" if good else "broke at the first step"
        return (
            f"this machine: the reference service {held} and broke at "
            f"{found['breaking_rate']:g} req/s ({'; '.join(found.get('why', []))})"
        )
    if found.get("last_good_rate"):
        return f"this machine: the SLA held up to {found['last_good_rate']:g} req/s, the top step"
    return ""
