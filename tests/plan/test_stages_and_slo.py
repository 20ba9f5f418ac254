"""[[stages]], [slo], [scrape] and [admin] in a plan file: values, and errors naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.errors import PlanError
from loadplan.plan.load import load_plan
from loadplan.plan.stages import BreakpointStage, RampStage

HEAD = """\
[target]
url = "http://127.0.0.1:8080"
[load]
duration = "30s"
"""

GOOD = (
    HEAD
    + """\
[[stages]]
name = "warm"
type = "constant"
rate = 100
duration = "10s"

[[stages]]
type = "ramp"
from = 100
to = 500
duration = "1m"

[[stages]]
type = "breakpoint"
from = 500
to = 1000
step = 100
step_duration = "30s"

[slo]
p95 = "300ms"
"p99.9" = "1s"
error_rate = "0.1%"
throughput = 0.99
cache_hit_rate = "80%"

[scrape]
urls = ["/metrics", "http://10.0.0.2:9100/metrics"]

[admin]
cache_flush = "/admin/cache/flush"
headers = { Authorization = "Bearer x" }
"""
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_plan(tmp_path: Path) -> None:
    plan, _ = load_plan(write(tmp_path, GOOD), {})
    assert [s.type for s in plan.stages] == ["constant", "ramp", "breakpoint"]
    ramp, breakpoint = plan.stages[1], plan.stages[2]
    assert isinstance(ramp, RampStage)
    assert (ramp.start, ramp.end, ramp.duration) == (100, 500, 60)
    assert isinstance(breakpoint, BreakpointStage)
    assert breakpoint.rates == (500, 600, 700, 800, 900, 1000)
    assert breakpoint.consecutive == 3
    assert plan.slo is not None
    assert plan.slo.latency_bounds() == {"p95": 300.0, "p99.9": 1000.0}
    assert (plan.slo.error_rate, plan.slo.cache_hit_rate) == (0.001, 0.8)
    assert plan.scrape.urls == ("/metrics", "http://10.0.0.2:9100/metrics")
    assert plan.admin.headers == {"Authorization": "Bearer x"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('type = "ramp"', 'type = "rampp"'), "plan.toml:12 stages[1].type = 'rampp': unknown"),
        (('type = "ramp"\n', ""), "plan.toml:11 stages[1].type: missing"),
        (("from = 100", "from = -1"), "plan.toml:13 stages[1].from = -1: Input should be"),
        (("to = 1000", "to = 400"), "plan.toml:17 stages[2]: to = 400 is below from = 500"),
        (('name = "warm"', 'name = "warm up"'), "plan.toml:6 stages[0].name = 'warm up'"),
        (('duration = "1m"', 'duration = "1m"\nfactor = 2'), "plan.toml:16 stages[1].factor"),
        (('p95 = "300ms"', 'p95 = "fast"'), "plan.toml:25 slo.p95 = 'fast': not a duration"),
        (('error_rate = "0.1%"', 'error_rate = "lots%"'), "slo.error_rate = 'lots%'"),
        (("throughput = 0.99", "throughput = 99"), "plan.toml:28 slo.throughput = 99"),
        (('urls = ["/metrics"', 'urls = ["metrics"'), "plan.toml:32 scrape.urls"),
        (('name = "warm"', 'name = "ramp"'), "plan.toml:11 stages[1].name = 'ramp'"),
    ],
    ids=[
        "unknown-type", "missing-type", "negative-from", "staircase-down", "name-with-space",
        "field-of-another-type", "bad-percentile", "bad-fraction", "fraction-over-1",
        "relative-scrape-url", "duplicate-name",
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, GOOD.replace(*change, 1)), {})
    assert any(expected in line for line in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD + '[[stages]]\ntype = "constant"\nrate = 1\nduration = 1\n',
            "plan.toml:18 stages[2].type = 'breakpoint': the run stops where the target breaks",
        ),
        (
            GOOD.replace('p95 = "300ms"\n"p99.9" = "1s"\nerror_rate = "0.1%"\n', ""),
            "stages[2].type = 'breakpoint': needs an [slo] bound to break",
        ),
        (
            HEAD.replace('duration = "30s"', 'mode = "closed"\nusers = 2')
            + '[[stages]]\ntype = "constant"\nrate = 1\nduration = 1\n',
            "plan.toml:6 stages: stages set rates, so they need open loop",
        ),
        (HEAD, "plan.toml:3 load.rate: missing; open loop needs a rate"),
    ],
    ids=["breakpoint-not-last", "breakpoint-without-bounds", "closed-with-stages", "no-rate"],
)
def test_cross_table_checks(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, text), {})
    assert any(expected in line for line in info.value.problems), info.value.problems


def test_rate_from_the_command_line_stands_in_for_stages(tmp_path: Path) -> None:
    plan, _ = load_plan(write(tmp_path, HEAD), {("load", "rate"): ("--rate", 5)})
    assert plan.load.rate == 5
    assert plan.stages == ()
