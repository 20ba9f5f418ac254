"""An append-only file of whole lines that a full disk cannot tear.

Every file a run streams (snapshots.jsonl, latency.hlog, target_metrics.jsonl, events.jsonl)
is read back line by line, and readers stop at the first torn line. A buffered text file that
hits ENOSPC leaves part of a line on disk, keeps the rest in its buffer and tries again on
``close``: after a full disk the file can end mid-line, or (once some space was freed) carry
a line glued to the half of another. Here each ``append`` is written unbuffered, and a write
that fails is cut back to where the file ended before it, so the file only ever holds the
lines whose every byte was written.

Example::

    log = LineFile(run_dir / "snapshots.jsonl")
    log.append(b'{"index": 0}\\n')   # OSError (ENOSPC ...) leaves the file as it was
    log.close()
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class LineFile:
    """Appends lines to ``path`` (created if missing), each append whole or not at all.

    Attributes:
        path: the file.
        size: bytes of whole appends in it: where a failed append is cut back to.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self._fd).st_size

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def append(self, data: bytes) -> None:
        """Write ``data`` to the end; on OSError cut the file back to ``size`` and raise it."""
        if self._fd < 0:
            msg = f"{self.path}: append to a closed file"
            raise ValueError(msg)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            self.cut_to(self.size)
            raise
        self.size += len(data)

    def cut_to(self, size: int) -> None:
        """Drop everything after byte ``size`` (freeing space needs none, so this works on a
        full disk); used to take back a whole second when its other file failed."""
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, size)
        self.size = min(self.size, size)

    def close(self) -> None:
        """Close the file; there is no buffer to flush, so closing cannot fail on a full disk."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
