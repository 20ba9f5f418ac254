"""tests for loadplan.export.sequence: the script's sequence is loadplan's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.errors import PlanError
from loadplan.export.sequence import build_export
from loadplan.plan.load import load_plan
from loadplan.workload.build import build_sampler
from tests.export.conftest import write_plan

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_the_sequence_is_the_samplers_first_requests_with_their_tags(tmp_path: Path) -> None:
    path = write_plan(tmp_path)
    plan, source = load_plan(path, {})
    export = build_export(plan, path, source=source, requests=300)
    expected = build_sampler(plan.workload, tmp_path).batch(0, 300)
    assert [(r.method, r.target, r.tags) for r in export.requests] == [
        (r.method, r.target, r.tags) for r in expected
    ]
    assert {dict(r.tags)["bucket"] for r in export.requests} == {"head", "torso", "tail"}
    assert set(export.shares("lang")) == {"de", "en", "ja"}
    assert sum(export.shares("bucket").values()) == pytest.approx(1.0)


def test_targets_carry_the_urls_base_path(tmp_path: Path) -> None:
    path = write_plan(tmp_path)
    plan, source = load_plan(path, {("target", "url"): ("--url", "http://127.0.0.1:9/api/")})
    export = build_export(plan, path, source=source, requests=5)
    assert all(r.target.startswith("/api/search?q=") for r in export.requests)


def test_a_timing_replay_is_exported_once_through_and_marked(tmp_path: Path) -> None:
    path = EXAMPLES / "workloads" / "plan-replay.toml"
    overrides = {
        ("target", "url"): ("--url", "http://127.0.0.1:9"),
        ("load", "rate"): ("--rate", 10),
    }
    plan, source = load_plan(path, overrides)
    export = build_export(plan, path, source=source, requests=100_000)
    assert export.recorded_timing
    assert 0 < len(export.requests) < 100_000


@pytest.mark.parametrize("requests", [0, -1, 1_000_001], ids=["zero", "negative", "too-many"])
def test_a_request_count_out_of_range_is_refused(tmp_path: Path, requests: int) -> None:
    path = write_plan(tmp_path)
    plan, source = load_plan(path, {})
    with pytest.raises(PlanError, match=r"--requests .*: need 1 to 1,000,000"):
        build_export(plan, path, source=source, requests=requests)
