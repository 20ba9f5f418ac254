"""Which engine modules run compiled, and whether the compiled ones are current.

The per-request path (pool and connections, recorder, pacer, closed-loop users) is compiled
with mypyc at install time (``setup.py`` reads ``HOT_PATH`` from here): the same typed source,
turned into C calls and struct fields instead of dictionary lookups. Measured on one core:
loadplan's own code 1.8-3.0 µs of CPU per request compiled against 2.5-3.4 µs interpreted
(``bench/hot_path_cost.py``, no sockets); with the realistic workload at 25,000 req/s, 74-82 %
of a core against 86-93 %. Where no C compiler is at hand the install falls back to the
plain modules, which behave the same, only slower; runs record which they used (``meta.json``),
because a benchmark of the interpreted engine is not a benchmark of the engine.

``LOADPLAN_INTERPRETED=1`` runs the Python source even where compiled modules are installed:
for a profiler that should see inside the hot path (py-spy shows a compiled function as one
frame), or to compare the two on one machine.

This module imports nothing from the package, so ``setup.py`` can read it before anything is
installed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HOT_PATH = (
    "loadplan.engine.client",
    "loadplan.engine.recorder",
    "loadplan.engine.open_loop",
    "loadplan.engine.closed_loop",
)
"""Modules compiled at install time: everything that runs once per request, and nothing else."""

INTERPRETED_ENV = "LOADPLAN_INTERPRETED"
"""Set (to anything but empty or 0) to run the hot path from its Python source."""

SOURCES_MANIFEST = "compiled_sources.json"
"""Written beside the modules by ``setup.py`` when it compiles them: each source's SHA-256 as
compiled. Content, not file times: a checkout touches files without changing them."""


@dataclass(frozen=True, slots=True)
class EngineBuild:
    """How the hot path is running in this process.

    Attributes:
        compiled: hot-path modules loaded from compiled extensions.
        interpreted: hot-path modules loaded from their Python source.
        stale: source files edited since their module was compiled: the process runs the
            code as it was at the last install, not as it reads now.
    """

    compiled: tuple[str, ...]
    interpreted: tuple[str, ...]
    stale: tuple[str, ...]

    @property
    def label(self) -> str:
        """One word for meta.json and benchmark output: compiled, interpreted or mixed."""
        if not self.interpreted:
            return "compiled"
        return "mixed" if self.compiled else "interpreted"

    def warning(self) -> str | None:
        """What a developer should hear before trusting a run, or None."""
        if self.stale:
            return (
                f"{', '.join(self.stale)} changed after the engine was compiled, so this run "
                "uses the code of the last install; rebuild with `pip install -e .` (or `make`)"
            )
        return None


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def engine_build(modules: Iterable[ModuleType] | None = None) -> EngineBuild:
    """Inspect the hot-path modules as this process imported them (or ``modules``)."""
    if modules is None:
        modules = [importlib.import_module(name) for name in HOT_PATH]
    compiled, interpreted, stale = [], [], []
    for module in modules:
        path = Path(module.__file__ or "")
        if path.suffix == ".py":
            interpreted.append(module.__name__)
            continue
        compiled.append(module.__name__)
        source = path.with_name(module.__name__.rsplit(".", 1)[-1] + ".py")
        as_built = _manifest(path.parent).get(module.__name__)
        if as_built and source.exists() and source_digest(source) != as_built:
            stale.append(str(source))
    return EngineBuild(tuple(compiled), tuple(interpreted), tuple(stale))


def _manifest(directory: Path) -> dict[str, str]:
    """Sources' digests as compiled; empty where no build left one (a wheel built elsewhere)."""
    try:
        data = json.loads((directory / SOURCES_MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the hot-path modules' ``.py`` files ahead of their compiled extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in HOT_PATH or not path:
            return None
        loader = (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)
        for entry in path:
            spec = importlib.machinery.FileFinder(entry, loader).find_spec(fullname)
            if spec is not None:
                return spec
        return None


def prefer_source() -> None:
    """Import the hot path from source from now on (before anything has imported it)."""
    if not any(isinstance(finder, _SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())
