"""``loadplan workload inspect plan.toml``: what a plan's workload will send, before sending it.

Parses the options, asks the library for a ``WorkloadDescription`` and prints it as rich tables.
Errors are PlanErrors from the library; ``cli.main`` prints them and exits with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

import typer
from rich.console import Console
from rich.table import Table

from loadplan.errors import PlanError
from loadplan.workload.build import load_sampler
from loadplan.workload.describe import DEFAULT_CACHE_SIZES, WorkloadDescription


def register(app: typer.Typer) -> None:
    """Add the ``workload`` command group to ``app``."""
    group = typer.Typer(
        name="workload",
        help="Look at the requests described by a plan's workload table.",
        no_args_is_help=True,
    )

    @group.command("inspect")
    def inspect(
        plan: Annotated[Path, typer.Argument(help="The plan file (TOML) with a workload table.")],
        cache_size: Annotated[
            list[int] | None,
            typer.Option(
                "--cache-size",
                help="Cache size (responses) to estimate the LRU hit rate for; repeatable.",
            ),
        ] = None,
        examples: Annotated[
            int, typer.Option("--examples", min=0, help="How many first requests to show.")
        ] = 5,
    ) -> None:
        """Distinct queries, head share, language mix, query length and expected cache hit rate."""
        sizes = tuple(cache_size) if cache_size else DEFAULT_CACHE_SIZES
        for size in sizes:
            if size < 1:
                msg = f"--cache-size = {size}: must be >= 1 (responses the cache holds)"
                raise PlanError(msg)
        sampler = load_sampler(plan)
        description = sampler.describe(cache_sizes=sizes, examples=examples)
        for warning in description.warnings:
            print(f"loadplan: warning: {warning}", file=sys.stderr)
        render_description(description, Console(highlight=False))

    app.add_typer(group, name="workload")


def render_description(description: WorkloadDescription, console: Console) -> None:
    """Print ``description`` as tables on ``console`` (tests pass a captured one)."""
    summary = Table(title="Workload", show_header=False, title_justify="left")
    summary.add_column("what")
    summary.add_column("value")
    summary.add_row("source", description.source)
    summary.add_row("seed", str(description.seed))
    summary.add_row("distinct requests", f"{description.distinct:,}")
    summary.add_row("traffic to top 1 %", f"{description.top1_share:.1%}")
    summary.add_row("traffic to top 10 %", f"{description.top10_share:.1%}")
    if description.mean_terms is not None and description.mean_chars is not None:
        length = f"{description.mean_terms:.2f} terms, {description.mean_chars:.1f} characters"
        summary.add_row("mean query length", length)
    if description.replay is not None:
        replay = description.replay
        summary.add_row(
            "recorded timing",
            f"{replay.requests:,} requests over {replay.duration_s:,.1f} s "
            f"({replay.mean_rate:,.1f} req/s)",
        )
    console.print(summary)

    if any(lang.lang != "-" for lang in description.languages):
        languages = Table(title="Languages", title_justify="left")
        for name in ("lang", "script", "share", "distinct", "zipf s"):
            languages.add_column(name, justify="left" if name in ("lang", "script") else "right")
        for lang in description.languages:
            exponent = f"{lang.exponent:.3f}" if lang.exponent is not None else "weights"
            languages.add_row(
                lang.lang, lang.script, f"{lang.share:.1%}", f"{lang.distinct:,}", exponent
            )
        console.print(languages)

    if description.buckets:
        buckets = Table(title="Popularity buckets", title_justify="left")
        for name in ("bucket", "distinct", "share"):
            buckets.add_column(name, justify="left" if name == "bucket" else "right")
        for bucket in description.buckets:
            buckets.add_row(bucket.bucket, f"{bucket.distinct:,}", f"{bucket.share:.1%}")
        console.print(buckets)

    cache = Table(title="Expected LRU hit rate", title_justify="left")
    cache.add_column("cache size", justify="right")
    cache.add_column("hit rate", justify="right")
    for estimate in description.cache:
        cache.add_row(f"{estimate.size:,}", f"{estimate.hit_rate:.1%}")
    console.print(cache)

    if description.examples:
        console.print("First requests (targets decoded for reading):")
        for example in description.examples:
            console.print(f"  {unquote(example)}", markup=False, soft_wrap=True)
