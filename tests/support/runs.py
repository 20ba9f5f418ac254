"""What a run directory holds, read as the tests check it: the raw per-second rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def snapshot_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The complete lines of RUN_DIR/snapshots.jsonl, as written so far (none before the
    first). A run still going may have torn its last line mid-write: only the lines that end
    are read."""
    path = run_dir / "snapshots.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(line) for line in lines]
