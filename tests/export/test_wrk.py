"""tests for loadplan.export.wrk: the sequence as Lua, the load as wrk2 commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.export.sequence import build_export
from loadplan.export.wrk import _lua, render_wrk
from loadplan.plan.load import load_plan

HEAD = '[target]\nurl = "http://127.0.0.1:9"\n'


@pytest.mark.parametrize(
    ("text", "lua"),
    [
        ("/search?q=a", '"/search?q=a"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\010break"'),
        ("é", '"\\195\\169"'),
    ],
    ids=["plain", "quote", "backslash", "newline", "utf8"],
)
def test_lua_string_literals(text: str, lua: str) -> None:
    assert _lua(text) == lua


def render_plan(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    plan, source = load_plan(path, {})
    return render_wrk(build_export(plan, path, source=source, requests=20), "x.lua")


def test_each_rate_gets_a_wrk2_command_and_the_header_says_closed_loop(tmp_path: Path) -> None:
    script = render_plan(
        tmp_path,
        '[load]\nrate = 1\n[[stages]]\ntype = "step"\nfrom = 10\nto = 20\nstep = 10\n'
        'step_duration = "5s"\n[[stages]]\ntype = "ramp"\nfrom = 20\nto = 40\nduration = "4s"\n',
    )
    assert "-- wrk is CLOSED LOOP" in script
    assert "--   wrk2 -t2 -c10 -d5s -R10 -s x.lua http://127.0.0.1:9   # step-0\n" in script
    assert "--   wrk2 -t2 -c20 -d5s -R20 -s x.lua http://127.0.0.1:9   # step-1\n" in script
    assert "-R30 -s x.lua http://127.0.0.1:9   # ramp (a ramp 20 -> 40 req/s" in script


def test_a_closed_loop_plan_gets_wrk_commands_and_its_think_time(tmp_path: Path) -> None:
    script = render_plan(
        tmp_path, '[load]\nmode = "closed"\nusers = 8\nthink = "50ms"\nduration = "3s"\n'
    )
    assert "--   wrk -t2 -c8 -d3s -s x.lua http://127.0.0.1:9   # closed, closed loop\n" in script
    assert "local think_ms = 50\n" in script


def test_slo_bounds_reach_done(tmp_path: Path) -> None:
    script = render_plan(tmp_path, '[load]\nrate = 5\n[slo]\np95 = "300ms"\n"p99.9" = "1s"\n')
    assert 'local bounds = {{95, "p95", 300}, {99.9, "p99.9", 1000}}\n' in script
