"""The ``workload inspect`` tables, rendered on a captured console."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from loadplan.cli import build_app
from loadplan.cli.workload import render_description
from loadplan.workload.describe import (
    BucketShare,
    CacheEstimate,
    LanguageShare,
    ReplayTiming,
    WorkloadDescription,
)

DESCRIPTION = WorkloadDescription(
    source="built-in pools (2 languages, 2,000 queries)",
    seed=7,
    distinct=2000,
    top1_share=0.512,
    top10_share=0.771,
    mean_terms=2.41,
    mean_chars=14.04,
    languages=(
        LanguageShare("en", "Latin", 0.75, 1000, 0.918),
        LanguageShare("ja", "CJK", 0.25, 1000, None),
    ),
    buckets=(
        BucketShare("head", 20, 0.5),
        BucketShare("torso", 180, 0.25),
        BucketShare("tail", 1800, 0.25),
    ),
    cache=(CacheEstimate(100, 0.4567), CacheEstimate(10_000, 1.0)),
    replay=ReplayTiming(59, 22.0),
    examples=("GET /search?q=%E5%A4%A9%E6%B0%97&lang=ja",),
)


def _render(description: WorkloadDescription) -> list[str]:
    out = io.StringIO()
    render_description(description, Console(file=out, width=120, color_system=None))
    return [line.rstrip() for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    "fragment",
    [
        pytest.param(
            "source              │ built-in pools (2 languages, 2,000 queries)", id="source"
        ),
        pytest.param("distinct requests   │ 2,000", id="distinct"),
        pytest.param("traffic to top 1 %  │ 51.2%", id="top1"),
        pytest.param("traffic to top 10 % │ 77.1%", id="top10"),
        pytest.param("mean query length   │ 2.41 terms, 14.0 characters", id="length"),
        pytest.param("recorded timing     │ 59 requests over 22.0 s (2.7 req/s)", id="replay"),
        pytest.param("│ en   │ Latin  │ 75.0% │    1,000 │   0.918 │", id="language-zipf"),
        pytest.param("│ ja   │ CJK    │ 25.0% │    1,000 │ weights │", id="language-weights"),
        pytest.param("│ head   │       20 │ 50.0% │", id="bucket"),
        pytest.param("│        100 │    45.7% │", id="cache"),
        pytest.param("│     10,000 │   100.0% │", id="cache-all"),
        pytest.param("  GET /search?q=天気&lang=ja", id="example-decoded"),
    ],
)
def test_render_description(fragment: str) -> None:
    assert any(fragment in line for line in _render(DESCRIPTION)), "\n".join(_render(DESCRIPTION))


def test_no_languages_table_without_languages() -> None:
    description = WorkloadDescription(
        source="none (one fixed request)",
        seed=0,
        distinct=1,
        top1_share=1.0,
        top10_share=1.0,
        mean_terms=None,
        mean_chars=None,
        languages=(LanguageShare("-", "-", 1.0, 1, None),),
        buckets=(),
        cache=(CacheEstimate(1, 1.0),),
        replay=None,
        examples=("GET /",),
    )
    out = _render(description)
    assert "Languages" not in out
    assert "Popularity buckets" not in out
    assert not any("mean query length" in line for line in out)
    assert "  GET /" in out


def test_bad_cache_size_is_a_plan_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.toml"
    plan.write_text("", "utf-8")
    result = CliRunner().invoke(
        build_app(), ["workload", "inspect", str(plan), "--cache-size", "0"]
    )
    assert result.exit_code != 0
    assert "--cache-size = 0: must be >= 1" in str(result.exception)
