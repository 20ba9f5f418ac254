"""``loadplan capacity``: the dispatch and the fit's text and JSON, on a captured console."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from loadplan.cli.capacity import dispatch
from loadplan.cli.capacity_fit import fit_command
from loadplan.errors import CapacityError, PlanError

DATA = Path(__file__).parents[1] / "analysis" / "capacity" / "data" / "usl"


def captured() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, color_system=None), out


def plain(text: str) -> list[str]:
    return [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]


def test_text_table_with_a_peak() -> None:
    console, out = captured()
    assert fit_command(DATA / "specsdm91.csv", "text", console) == 0
    lines = plain(out.getvalue())
    assert "USL fit: specsdm91.csv (7 points, 7 load levels)" in lines
    assert "sigma (contention) 0.02773 0.009122 0.002402 .. 0.05305" in lines
    assert "N* (load at peak) 96.52 8.988 71.57 .. 121.5" in lines
    assert "X_max = X(N*) 1884 51.62 1741 .. 2027" in lines
    assert "fit: residual s.e. 82.85 on 4 df, R² 0.9896, method usl3_bounded" in lines
    assert not any(line.startswith("kappa ~ 0") for line in lines)


def test_text_says_what_kappa_zero_means() -> None:
    console, out = captured()
    assert fit_command(DATA / "raytracer.csv", "text", console) == 0
    lines = plain(out.getvalue())
    assert "N* (load at peak) none" in lines
    assert "X_max = X(N*) none" in lines
    assert any(
        line.startswith("kappa ~ 0: no retrograde region in the tested range (N up to 64)")
        for line in lines
    )


def test_json_nests_the_fit_under_usl() -> None:
    console, out = captured()
    assert fit_command(DATA / "cisco_schwartz.csv", "json", console) == 0
    document = json.loads(out.getvalue())
    usl = document["usl"]
    assert usl["method"] == "usl3_bounded"
    assert usl["n_points"] == 32
    assert usl["n_star_floor"] == 35
    assert usl["sigma_ci"][0] < usl["sigma"] < usl["sigma_ci"][1]
    assert document["data"]["x_column"] == "X"


def test_bad_format() -> None:
    console, _ = captured()
    with pytest.raises(PlanError, match="--format xml: use text or json"):
        fit_command(DATA / "specsdm91.csv", "xml", console)


@pytest.mark.parametrize(
    ("paths", "error", "message"),
    [
        pytest.param(["fit"], PlanError, "give exactly one CSV file", id="fit-without-file"),
        pytest.param(["fit", "a.csv", "b.csv"], PlanError, "exactly one CSV", id="fit-two-files"),
        pytest.param(
            ["fit", "missing.csv"], CapacityError, "missing.csv: no such file", id="no-file"
        ),
    ],
)
def test_dispatch_refuses(paths: list[str], error: type[Exception], message: str) -> None:
    console, _ = captured()
    with pytest.raises(error, match=message):
        dispatch(paths, "text", console)


def test_dispatch_fit() -> None:
    console, out = captured()
    assert dispatch(["fit", str(DATA / "specsdm91.csv")], "json", console) == 0
    assert json.loads(out.getvalue())["usl"]["n_points"] == 7
