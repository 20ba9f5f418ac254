"""tests for loadplan.export.k6: stages as arrival-rate scenarios, [slo] as thresholds."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from loadplan.export.k6 import render_k6
from loadplan.export.sequence import build_export
from loadplan.plan.load import load_plan
from loadplan.scenarios.suite import with_suite_stages

EXAMPLES = Path(__file__).parents[2] / "examples"
HEAD = '[target]\nurl = "http://127.0.0.1:9"\n[load]\nrate = 1\n[slo]\np95 = "300ms"\n'


def options_of(script: str) -> dict[str, Any]:
    """The ``options`` object of a rendered script (it is written as JSON)."""
    start = script.index("export const options = ") + len("export const options = ")
    end = script.index("};\n", start) + 1
    options: dict[str, Any] = json.loads(script[start:end])
    return options


def render_plan(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    plan, source = load_plan(path, {})
    return render_k6(build_export(plan, path, source=source, requests=20))


STAGES = [
    (
        'type = "constant"\nrate = 100\nduration = "2s"',
        {
            "executor": "constant-arrival-rate",
            "rate": 100,
            "timeUnit": "1s",
            "duration": "2000ms",
        },
    ),
    (
        'type = "soak"\nrate = 0.5\nduration = "1m"',
        {"executor": "constant-arrival-rate", "rate": 30, "timeUnit": "1m", "duration": "60000ms"},
    ),
    (
        'type = "ramp"\nfrom = 10\nto = 50\nduration = "10s"',
        {
            "executor": "ramping-arrival-rate",
            "startRate": 10,
            "timeUnit": "1s",
            "stages": [{"target": 50, "duration": "10000ms"}],
        },
    ),
    (
        'type = "step"\nfrom = 10\nto = 30\nstep = 10\nstep_duration = "5s"',
        {
            "executor": "ramping-arrival-rate",
            "startRate": 10,
            "stages": [
                {"target": 10, "duration": "5000ms"},
                {"target": 20, "duration": "0s"},
                {"target": 20, "duration": "5000ms"},
                {"target": 30, "duration": "0s"},
                {"target": 30, "duration": "5000ms"},
            ],
        },
    ),
    (
        'type = "spike"\nrate = 10\nfactor = 3\nhold = "2s"\nrecovery = "3s"',
        {
            "executor": "ramping-arrival-rate",
            "startRate": 30,
            "stages": [
                {"target": 30, "duration": "2000ms"},
                {"target": 10, "duration": "0s"},
                {"target": 10, "duration": "3000ms"},
            ],
        },
    ),
    (
        'type = "sweep"\nusers_from = 1\nusers_to = 4\nusers_factor = 2\nstep_duration = "2s"',
        {
            "executor": "ramping-vus",
            "startVUs": 1,
            "stages": [
                {"target": 1, "duration": "0s"},
                {"target": 1, "duration": "2000ms"},
                {"target": 2, "duration": "0s"},
                {"target": 2, "duration": "2000ms"},
                {"target": 4, "duration": "0s"},
                {"target": 4, "duration": "2000ms"},
            ],
        },
    ),
]


@pytest.mark.parametrize(
    ("stage", "expected"), STAGES, ids=["constant", "soak", "ramp", "step", "spike", "sweep"]
)
def test_each_stage_type_becomes_its_k6_scenario(
    tmp_path: Path, stage: str, expected: dict[str, Any]
) -> None:
    script = render_plan(tmp_path, f'{HEAD}[[stages]]\nname = "s"\n{stage}\n')
    scenario = options_of(script)["scenarios"]["s"]
    assert {key: scenario[key] for key in expected} == expected
    assert scenario["startTime"] == "0ms"


def test_stages_start_one_after_the_other_and_the_sequence_runs_on(tmp_path: Path) -> None:
    stages = (
        '[[stages]]\nname = "a"\ntype = "constant"\nrate = 10\nduration = "3s"\n'
        '[[stages]]\nname = "b"\ntype = "constant"\nrate = 20\nduration = "2s"\n'
    )
    script = render_plan(tmp_path, HEAD + stages)
    assert options_of(script)["scenarios"]["b"]["startTime"] == "3000ms"
    assert 'const OFFSETS = {"a": 0, "b": 30};' in script


def test_the_suites_slo_becomes_thresholds_overall_per_stage_and_for_the_breakpoint() -> None:
    path = EXAMPLES / "reference-service.toml"
    plan, source = load_plan(path, {})
    script = render_k6(build_export(with_suite_stages(plan, source), path, requests=10))
    thresholds = options_of(script)["thresholds"]
    assert thresholds["http_req_duration{judged:yes}"] == ["p(95)<300", "p(99)<500"]
    assert thresholds["http_req_failed{judged:yes}"] == ["rate<=0.001"]
    assert thresholds["http_req_duration{scenario:sustained}"] == ["p(95)<300", "p(99)<500"]
    assert thresholds["http_req_failed{scenario:spike}"] == ["rate<=0.001"]
    assert "http_req_duration{scenario:spike}" not in thresholds
    assert thresholds["http_req_duration{scenario:breakpoint}"][0] == {
        "threshold": "p(95)<300",
        "abortOnFail": True,
        "delayAbortEval": "10s",
    }
    assert "[slo] throughput, cache_hit_rate, max_drift, recovery" in script
    assert "arrivals are poisson" in script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_committed_script_is_valid_javascript(tmp_path: Path) -> None:
    # node parses ES modules by extension; k6's own parser runs in test_k6_run.py.
    module = tmp_path / "script.mjs"
    module.write_text((Path(__file__).parents[1] / "load" / "load_test_scenarios.js").read_text())
    done = subprocess.run(
        ["node", "--check", str(module)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
