"""The compiled hot path: installed where a compiler is, current, and replaceable by its source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from loadplan.engine.build import INTERPRETED_ENV, SOURCES_MANIFEST, engine_build, source_digest
from tests.conftest import StubServer


def _module(name: str, file: Path) -> ModuleType:
    module = ModuleType(name)
    module.__file__ = str(file)
    return module


COMPILER_MISSING = (
    "no C compiler (cc) on PATH: CI must build the compiled engine; install a compiler and the "
    "Python headers (Debian: apt-get install gcc libc6-dev python3-dev, as .ci/run does)"
)


@pytest.mark.skipif(
    os.environ.get(INTERPRETED_ENV, "") not in ("", "0"),
    reason="the interpreted engine was asked for",
)
def test_hot_path_runs_compiled_and_current_where_a_compiler_is() -> None:
    # A developer without a compiler gets the interpreted engine (a skip); CI must not: a CI
    # image that lost its compiler would otherwise test only the fallback and pass.
    if shutil.which("cc") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(COMPILER_MISSING)
        pytest.skip("no C compiler to build with")
    build = engine_build()
    assert build.label == "compiled", (
        f"interpreted: {build.interpreted}; the install did not compile them (setup.py): "
        "check that the Python headers (Python.h; Debian: python3-dev) are installed"
    )
    assert not build.stale, build.warning()


def test_a_source_edited_after_the_build_is_reported_stale(tmp_path: Path) -> None:
    compiled = tmp_path / "client.cpython-311-x86_64-linux-gnu.so"
    source = tmp_path / "client.py"
    compiled.write_bytes(b"")
    source.write_text("x = 1\n")
    manifest = {"loadplan.engine.client": source_digest(source)}
    (tmp_path / SOURCES_MANIFEST).write_text(json.dumps(manifest))
    module = _module("loadplan.engine.client", compiled)
    os.utime(source, (compiled.stat().st_mtime + 60,) * 2)  # touched, not changed: current
    assert engine_build([module]).stale == ()
    source.write_text("x = 2\n")
    build = engine_build([module])
    assert build.stale == (str(source),)
    assert "pip install -e ." in (build.warning() or "")


def test_without_a_manifest_nothing_is_called_stale(tmp_path: Path) -> None:
    compiled = tmp_path / "client.cpython-311-x86_64-linux-gnu.so"
    compiled.write_bytes(b"")
    (tmp_path / "client.py").write_text("x = 2\n")
    assert engine_build([_module("loadplan.engine.client", compiled)]).stale == ()


def test_labels_say_which_modules_run_compiled(tmp_path: Path) -> None:
    so, py = tmp_path / "a.cpython-311-x86_64-linux-gnu.so", tmp_path / "b.py"
    compiled, interpreted = _module("x.a", so), _module("x.b", py)
    assert engine_build([compiled]).label == "compiled"
    assert engine_build([interpreted]).label == "interpreted"
    assert engine_build([compiled, interpreted]).label == "mixed"
    assert engine_build([interpreted]).warning() is None


def test_the_interpreted_engine_runs_a_real_load_and_says_so(
    tmp_path: Path, stub_server: Callable[..., StubServer]
) -> None:
    """The fallback (no compiler, or ``LOADPLAN_INTERPRETED=1``) is the same source: it must run
    a load as the compiled one does, and the run must record which one measured."""
    server = stub_server()
    out = tmp_path / "run"
    env = {**os.environ, INTERPRETED_ENV: "1"}
    probe = "from loadplan.engine.build import engine_build; print(engine_build().label)"
    label = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert label == "interpreted"
    done = subprocess.run(
        [sys.executable, "-m", "loadplan", "run", "--url", server.url, "--rate", "200",
         "--duration", "2s", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["engine"] == "interpreted"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["requests"]["ok"] == server.requests_seen() == 400
