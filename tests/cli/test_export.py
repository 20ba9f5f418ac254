"""tests for loadplan.cli.export: exit codes, refusals, and the committed scripts being current."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from tests.export.conftest import write_plan
from tests.support import cli

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "tests" / "load"


loadplan = partial(cli.loadplan, timeout=120)


@pytest.mark.parametrize("suffix", ["lua", "js"], ids=["wrk", "k6"])
def test_the_committed_scripts_are_what_export_writes_now(tmp_path: Path, suffix: str) -> None:
    tool = "wrk" if suffix == "lua" else "k6"
    out = tmp_path / f"load_test_scenarios.{suffix}"
    plan = ROOT / "examples" / "reference-service.toml"
    done = loadplan("export", tool, plan, "--suite", "-o", out)
    assert done.returncode == 0, done.stderr
    committed = (COMMITTED / out.name).read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        f"tests/load/{out.name} is stale; regenerate it: loadplan export {tool} "
        f"examples/reference-service.toml --suite -o tests/load/{out.name}"
    )


@pytest.mark.parametrize("tool", ["wrk", "k6"])
def test_recorded_timing_is_refused_in_one_line_with_exit_2(tmp_path: Path, tool: str) -> None:
    log = ROOT / "examples" / "workloads" / "access.log"
    plan = tmp_path / "replay.toml"
    plan.write_text(
        f'[target]\nurl = "http://127.0.0.1:9"\n[load]\nrate = 1\n[workload.source]\n'
        f'kind = "log"\npath = "{log}"\nmode = "timing"\n',
        encoding="utf-8",
    )
    out = tmp_path / "script"
    done = loadplan("export", tool, plan, "-o", out)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"loadplan: error: export {tool}: log replay with recorded timing (workload.source "
        f"mode = 'timing') cannot be expressed in {tool}; "
        + (
            "use mode = 'mix' to export the log's request mix, or replay it with loadplan run"
            if tool == "wrk"
            else "use mode = 'mix' to export the log's request mix at the plan's rates"
        )
    ]
    assert not out.exists()


def test_a_bad_plan_names_its_line_with_exit_2(tmp_path: Path) -> None:
    plan = write_plan(tmp_path)
    plan.write_text(plan.read_text().replace("rate = 100", "rate = -5"), encoding="utf-8")
    done = loadplan("export", "k6", plan, "-o", tmp_path / "x.js")
    assert done.returncode == 2
    assert "plan.toml:5 load.rate = -5" in done.stderr


def test_url_overrides_the_plans_and_the_count_is_reported(tmp_path: Path) -> None:
    plan = write_plan(tmp_path)
    out = tmp_path / "x.lua"
    done = loadplan(
        "export", "wrk", plan, "--url", "http://127.0.0.1:7/", "--requests", "7", "-o", out
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"loadplan: wrote {out} (wrk, 7 requests, 1 stages)\n"
    assert "-s x.lua http://127.0.0.1:7/   # constant" in out.read_text()
