"""``loadplan ARGS`` as a user types it: a child process of this interpreter, output captured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def loadplan(
    *args: str | Path,
    timeout: float = 90,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``loadplan ARGS`` to its end (at most ``timeout`` s); its exit code is the test's to
    judge, so a non-zero one does not raise."""
    return subprocess.run(
        [sys.executable, "-m", "loadplan", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        cwd=cwd,
    )
