"""Fixtures for the workload tests: small data files written into a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from loadplan.workload.catalog import table_catalog
from loadplan.workload.sampler import RequestSampler
from loadplan.workload.sources import QueryTable
from loadplan.workload.template import RequestTemplate
from loadplan.workload.zipf import RankModel

WriteFile = Callable[[str, "str | bytes"], Path]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write ``content`` to ``tmp_path / name`` and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def make_table(
    queries: list[str],
    weights: list[float] | None = None,
    langs: list[str | None] | None = None,
    **columns: list[str],
) -> QueryTable:
    """A QueryTable without a file, for catalog and sampler tests."""
    return QueryTable(
        name="mem.csv",
        columns={"query": tuple(queries), **{k: tuple(v) for k, v in columns.items()}},
        weights=None if weights is None else np.asarray(weights, dtype=np.float64),
        langs=tuple(langs) if langs is not None else (None,) * len(queries),
        lines=tuple(range(2, len(queries) + 2)),
    )


def make_sampler(
    n: int = 1000,
    s: float = 1.0,
    seed: int = 0,
    langs: list[str | None] | None = None,
) -> RequestSampler:
    """A sampler over ``n`` synthetic queries with Zipf popularity, built without wordfreq."""
    table = make_table([f"q{i}" for i in range(n)], langs=langs)
    catalog = table_catalog(
        table, mix=None, model=RankModel("zipf", s=s), head=0.01, torso=0.09, label="test"
    )
    template = RequestTemplate.build("GET", "/search", {"q": "{query}", "lang": "{lang}"})
    return RequestSampler(catalog, template, seed)
