"""``loadplan capacity fit FILE`` as a user runs it: a subprocess, its exit code and its lines."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import pytest

from tests.support import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "analysis" / "capacity" / "data" / "usl"


loadplan = partial(
    cli.loadplan, timeout=120, cwd=ROOT, env={**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
)


def test_json_fit() -> None:
    done = loadplan("capacity", "fit", DATA / "specsdm91.csv", "--format", "json")
    assert done.returncode == 0, done.stderr
    usl = json.loads(done.stdout)["usl"]
    for key in ("sigma", "kappa", "lambda", "n_star", "x_max", "x_roof", "n_points", "method"):
        assert key in usl
    for key in ("sigma", "kappa", "lambda", "n_star", "x_max", "x_roof"):
        assert f"{key}_se" in usl
        assert len(usl[f"{key}_ci"]) == 2
    assert usl["n_points"] == 7
    assert round(usl["n_star"], 2) == 96.52
    assert done.stderr == ""


def test_text_fit() -> None:
    done = loadplan("capacity", "fit", DATA / "raytracer.csv")
    assert done.returncode == 0, done.stderr
    assert "USL fit: raytracer.csv (11 points, 11 load levels)" in done.stdout
    assert "kappa ~ 0: no retrograde region in the tested range" in done.stdout


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("N,X\n1,10\n2,abc\n", "DATA.csv:3: X = 'abc' is not a number", id="cell"),
        pytest.param("N,X\n1,10\n2,19\n4,35\n", "DATA.csv: 3 load levels", id="too-few"),
    ],
)
def test_bad_csv_is_one_line_and_exit_2(tmp_path: Path, text: str, line: str) -> None:
    path = tmp_path / "DATA.csv"
    path.write_text(text, encoding="utf-8")
    done = loadplan("capacity", "fit", path, "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"loadplan: error: {tmp_path}/{line}")


def test_a_directory_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    done = loadplan("capacity", tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"loadplan: error: {tmp_path}: not a loadplan run directory (no meta.json)"
    ]
