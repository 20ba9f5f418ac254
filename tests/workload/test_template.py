"""Request templates: percent-encoding, headers and JSON bodies."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from loadplan.workload.template import PercentEncoder, RequestTemplate

ROW = {"query": "a b/c&d=é", "lang": "fr", "target": "/recorded?q=x%20y", "method": "post"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param(
            RequestTemplate.build("GET", "/search", {"q": "{query}", "lang": "{lang}"}),
            ("GET", "/search?q=a%20b%2Fc%26d%3D%C3%A9&lang=fr", (), b""),
            id="params-encoded-whole",
        ),
        pytest.param(
            RequestTemplate.build("GET", "/s/{lang}/{query}"),
            ("GET", "/s/fr/a%20b/c%26d%3D%C3%A9", (), b""),
            id="path-values-keep-slash",
        ),
        pytest.param(
            RequestTemplate.build("GET", "/búsqueda/{lang} x?a=%20"),
            ("GET", "/b%C3%BAsqueda/fr%20x?a=%20", (), b""),
            id="path-literals-encoded-escapes-kept",
        ),
        pytest.param(
            RequestTemplate.build("GET", "/s?fixed=1", {"q": "{query}"}),
            ("GET", "/s?fixed=1&q=a%20b%2Fc%26d%3D%C3%A9", (), b""),
            id="path-with-query",
        ),
        pytest.param(
            RequestTemplate.build("GET", "/s", {"q": "x", "empty": "{missing}"}),
            ("GET", "/s?q=x", (), b""),
            id="empty-param-left-out",
        ),
        pytest.param(
            RequestTemplate.build("GET", "/", {"a b": "1"}),
            ("GET", "/?a%20b=1", (), b""),
            id="param-name-encoded",
        ),
        pytest.param(
            RequestTemplate.build("{method}", None, headers={"X-Lang": "{lang}"}),
            ("POST", "/recorded?q=x%20y", (("X-Lang", "fr"),), b""),
            id="recorded-target",
        ),
        pytest.param(
            RequestTemplate.build(
                "POST", "/api", headers={"content-type": "text/json"}, body="{query}"
            ),
            ("POST", "/api", (("content-type", "text/json"),), b'"a b/c&d=\xc3\xa9"'),
            id="own-content-type",
        ),
    ],
)
def test_render(template: RequestTemplate, expected: tuple) -> None:
    row = {**ROW, "missing": ""}
    assert template.render(row) == expected


def test_json_body() -> None:
    template = RequestTemplate.build(
        "POST",
        "/api",
        body={"q": "{query}", "filters": [{"lang": "{lang}"}, 3, True, None], "lit": "{{x}}"},
    )
    method, target, headers, body = template.render(ROW)
    assert (method, target) == ("POST", "/api")
    assert headers == (("Content-Type", "application/json"),)
    assert json.loads(body) == {
        "q": ROW["query"],
        "filters": [{"lang": "fr"}, 3, True, None],
        "lit": "{x}",
    }
    assert template.fields == {"query", "lang"}


def test_fields_of_a_recorded_template() -> None:
    assert RequestTemplate.build("{method}", None).fields == {"method", "target"}


@pytest.mark.parametrize(
    "value",
    ["hello world", "東京 a/b", "مرحبا بالعالم", "नमस्ते", "😀 x~y_z.-", "a&b=c?d#e%f+g", "", "Ünï"],
    ids=["ascii", "cjk", "arabic", "devanagari", "emoji", "reserved", "empty", "latin1"],
)
@pytest.mark.parametrize("safe", ["", "/"], ids=["value", "path"])
def test_percent_encoder_matches_urllib_quote(value: str, safe: str) -> None:
    encoder = PercentEncoder(safe)
    assert encoder(value) == quote(value, safe=safe)
    assert encoder(value) == quote(value, safe=safe), "and again, from its memo"
