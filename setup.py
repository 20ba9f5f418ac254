"""Compiles the engine's per-request modules with mypyc; the rest of the build is pyproject.toml.

Without a working C compiler the compiled modules are skipped (``optional``) and the package
installs as plain Python, which behaves the same, only slower (see src/loadplan/engine/build.py).
"""

import json
import os
import runpy
from pathlib import Path

from setuptools import setup

ENGINE = Path("src/loadplan/engine")
BUILD = runpy.run_path(str(ENGINE / "build.py"))


def compiled_modules() -> list:
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    sources = {name: Path("src", *name.split(".")).with_suffix(".py") for name in BUILD["HOT_PATH"]}
    # The build environment has mypy but not the package's dependencies (numpy, httptools...):
    # their types are unknown there, which is fine for compiling. The project's strict mypy
    # settings are for `make typecheck`, not for this.
    options = ["--config-file", os.devnull, "--ignore-missing-imports", "--follow-imports=silent"]
    paths = [str(path) for path in sources.values()]
    try:
        extensions = mypycify([*options, *paths], opt_level="3", group_name="loadplan_engine")
    except Exception as exc:  # mypyc refused the code: install it interpreted
        print(f"setup.py: not compiling the engine ({exc}); it runs interpreted")
        return []
    for extension in extensions:
        extension.optional = True
    # What was compiled, so a later edit of a source shows as stale (engine/build.py).
    digests = {name: BUILD["source_digest"](path) for name, path in sources.items()}
    (ENGINE / BUILD["SOURCES_MANIFEST"]).write_text(json.dumps(digests, indent=1) + "\n")
    return extensions


setup(ext_modules=compiled_modules())
