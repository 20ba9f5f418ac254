"""The placeholder notation of request templates: what parses, and what is refused."""

from __future__ import annotations

import pytest

from loadplan.plan.placeholders import compile_text


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        pytest.param("/search", set(), id="literal"),
        pytest.param("{query}", {"query"}, id="one"),
        pytest.param("/{lang}/s?x={query}", {"lang", "query"}, id="two"),
        pytest.param("{{literal}} {query}", {"query"}, id="escaped-braces"),
    ],
)
def test_compile_text(text: str, fields: set[str]) -> None:
    assert compile_text(text).fields == fields


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("{query!r}", r"placeholder \{query!r\} is not a plain name", id="conversion"),
        pytest.param("{n:3}", r"placeholder \{n:3\} is not a plain name", id="format-spec"),
        pytest.param("{0}", r"placeholder \{0\} is not a plain name", id="positional"),
        pytest.param("{}", r"placeholder \{\} is not a plain name", id="empty"),
        pytest.param("{a.b}", r"placeholder \{a.b\} is not a plain name", id="attribute"),
        pytest.param("{query", "write placeholders as {name}", id="unclosed"),
        pytest.param("x}", "write placeholders as {name}", id="stray-close"),
    ],
)
def test_compile_text_refuses(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        compile_text(text)
