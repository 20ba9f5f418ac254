"""Building from the [workload] sub-tables: template defaults per source, and the popularity
model chosen."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.plan.workload_tables import (
    BuiltinSource,
    FileSource,
    LogSource,
    SourceSpec,
    TemplateSpec,
    ZipfPopularity,
)
from loadplan.workload.build import PlaceholderError, popularity_model, resolve_template
from loadplan.workload.zipf import RankModel

BUILTIN = BuiltinSource(kind="builtin")
FILE = FileSource(kind="file", path="q.txt")
LOG = LogSource(kind="log", path="a.log")
ROW = {"query": "a b", "lang": "en", "method": "PUT", "target": "/t?x=1", "path": "/t"}


@pytest.mark.parametrize(
    ("template", "source", "has_langs", "expected"),
    [
        pytest.param({}, None, False, ("GET", "/"), id="no-source-get-root"),
        pytest.param({}, BUILTIN, True, ("GET", "/search?q=a%20b&lang=en"), id="builtin-search"),
        pytest.param({}, FILE, False, ("GET", "/search?q=a%20b"), id="file-without-langs"),
        pytest.param(
            {"path": "/find"}, FILE, True, ("GET", "/find?q=a%20b&lang=en"), id="own-path"
        ),
        pytest.param({"params": {}}, FILE, True, ("GET", "/search"), id="no-params"),
        pytest.param({}, LOG, True, ("PUT", "/t?x=1"), id="log-recorded"),
        pytest.param({"path": "/v2{path}"}, LOG, True, ("PUT", "/v2/t"), id="log-own-path"),
        pytest.param(
            {"body": {"q": "{query}"}},
            FILE,
            True,
            ("POST", "/search?q=a%20b&lang=en"),
            id="body-posts",
        ),
        pytest.param(
            {"body": {"q": "{query}"}}, LOG, True, ("PUT", "/t?x=1"), id="log-keeps-method"
        ),
        pytest.param(
            {"method": "delete"}, FILE, False, ("DELETE", "/search?q=a%20b"), id="own-method"
        ),
    ],
)
def test_resolve_fills_source_defaults(
    template: dict[str, Any], source: SourceSpec | None, has_langs: bool, expected: tuple[str, str]
) -> None:
    spec = TemplateSpec.model_validate(template)
    resolved = resolve_template(spec, source, frozenset(ROW), has_langs=has_langs)
    assert resolved.render(ROW)[:2] == expected


def test_resolve_names_the_field_of_an_unknown_placeholder() -> None:
    spec = TemplateSpec.model_validate({"headers": {"X-A": "{device}"}})
    with pytest.raises(PlaceholderError) as caught:
        resolve_template(spec, FILE, frozenset({"query"}), has_langs=False)
    assert caught.value.field == ("template", "headers", "X-A")
    assert str(caught.value) == "= '{device}': unknown placeholder {device}; use one of {query}"


@pytest.mark.parametrize(
    ("popularity", "has_weights", "expected"),
    [
        pytest.param(None, True, None, id="weights-by-default"),
        pytest.param(None, False, RankModel(), id="zipf-1-by-default"),
        pytest.param(
            ZipfPopularity(model="zipf", s=1.4),
            True,
            RankModel("zipf", s=1.4),
            id="model-over-weights",
        ),
    ],
)
def test_popularity_model(
    popularity: ZipfPopularity | None, has_weights: bool, expected: RankModel | None
) -> None:
    assert popularity_model(popularity, has_weights, "q.csv") == expected
