"""The standard suite as stages: names, rates and lengths from [load] and [suite] (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.errors import PlanError
from loadplan.plan.load import load_plan
from loadplan.plan.scenario import Scenario
from loadplan.plan.stages import SuiteSpec
from loadplan.scenarios.suite import suite_stages, with_suite_stages, with_sustained

REPO_EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SUITE = Scenario._build(suite_stages(1000, 7200, SuiteSpec()))


@pytest.mark.parametrize(
    ("name", "start", "end", "rates"),
    [
        ("baseline", 0, 60, ((100, 100),)),
        ("ramp-up", 60, 120, ((100, 1000),)),
        ("sustained", 120, 7320, ((1000, 1000),)),
        ("spike", 7320, 7410, ((2000, 2000), (1000, 1000))),
        ("cache-cold", 7410, 7470, ((1000, 1000),)),
        ("cache-warm", 7470, 7530, ((1000, 1000),)),
        ("breakpoint", 7530, 7530 + 13 * 30, tuple((r, r) for r in range(1000, 4001, 250))),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_default_suite_for_1000_qps_for_2h(
    name: str, start: float, end: float, rates: tuple[tuple[float, float], ...]
) -> None:
    stage = next(s for s in SUITE.stages if s.name == name)
    assert (stage.start_s, stage.end_s) == (start, end)
    assert [r for pair in stage.rates for r in pair] == pytest.approx(
        [r for pair in rates for r in pair]
    )


def test_suite_order_and_roles() -> None:
    assert [(s.name, s.kind.value, s.judged, s.flush_cache) for s in SUITE.stages] == [
        ("baseline", "constant", True, False),
        ("ramp-up", "ramp", True, False),
        ("sustained", "soak", True, False),
        ("spike", "spike", False, False),
        ("cache-cold", "constant", True, True),
        ("cache-warm", "constant", True, False),
        ("breakpoint", "breakpoint", False, False),
    ]


@pytest.mark.parametrize(
    ("skip", "names"),
    [
        (
            ("breakpoint",),
            ["baseline", "ramp-up", "sustained", "spike", "cache-cold", "cache-warm"],
        ),
        (("baseline", "cache"), ["ramp-up", "sustained", "spike", "breakpoint"]),
    ],
    ids=["no-breakpoint", "no-baseline-no-cache"],
)
def test_skip(skip: tuple[str, ...], names: list[str]) -> None:
    stages = suite_stages(100, 60, SuiteSpec(skip=skip))
    assert [s.name for s in stages] == names
    if "baseline" in skip:
        assert stages[0].start == 0  # type: ignore[union-attr]  # the ramp starts from zero


PLAN = """\
[target]
url = "http://127.0.0.1:8080"
[load]
rate = 200
duration = "5m"
[slo]
p95 = "300ms"
"""


def test_with_suite_stages_expands_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    plan, source = load_plan(path, {("load", "duration"): ("--duration", "2h")})
    expanded = with_suite_stages(plan, source)
    sustained = next(s for s in expanded.stages if s.name == "sustained")
    assert sustained.duration == 7200  # type: ignore[union-attr]
    assert with_suite_stages(expanded, source) is expanded  # own [[stages]] are kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            PLAN.replace("rate = 200\n", ""),
            "plan.toml:3 load.rate: missing; open loop needs a rate",
        ),
        (PLAN.replace('[slo]\np95 = "300ms"\n', ""), "needs [slo] objectives"),
        (PLAN + "[suite]\nskip = ['later']\n", "unknown suite stage 'later'"),
    ],
    ids=["no-rate", "no-slo", "bad-skip"],
)
def test_suite_plan_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        with_suite_stages(*load_plan(path, {}))
    assert message in str(info.value)


def test_duration_sets_the_soak_stages_of_a_plan_with_its_own_stages() -> None:
    plan, _ = load_plan(REPO_EXAMPLES / "search-api.toml", {})
    longer = with_sustained(plan, 600)
    soaks = [s for s in longer.stages if s.type == "soak"]
    assert [s.duration for s in soaks] == [600]  # type: ignore[union-attr]
    assert [s.name for s in longer.stages] == [s.name for s in plan.stages]
    no_soak = plan.model_copy(update={"stages": plan.stages[:2]})
    with pytest.raises(PlanError, match='no type = "soak" stage'):
        with_sustained(no_soak, 600)
