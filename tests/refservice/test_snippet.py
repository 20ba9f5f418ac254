"""refservice/snippet.py: a window around the first match, matches marked, words kept whole."""

from __future__ import annotations

import pytest

from loadplan.refservice.snippet import WINDOW, snippet, terms_pattern


@pytest.mark.parametrize(
    ("text", "terms", "spaced", "expected"),
    [
        ("It rained in Paris.", ["paris"], True, "It rained in <em>Paris</em>."),
        ("there is the end", ["the"], True, "there is <em>the</em> end"),
        (
            "The cat and the hat",
            ["the", "hat"],
            True,
            "<em>The</em> cat and <em>the</em> <em>hat</em>",
        ),
        ("我们的国家很大", ["国家"], False, "我们的<em>国家</em>很大"),
        ("no match here", ["zebra"], True, "no match here"),
        ("किताब और किताबें", ["किताब"], True, "<em>किताब</em> और किताबें"),
        ('a "quoted" (term) *', ['"quoted"', "*"], True, 'a <em>"quoted"</em> (term) <em>*</em>'),
    ],
)
def test_snippet(text: str, terms: list[str], spaced: bool, expected: str) -> None:
    assert snippet(text, terms_pattern(terms, spaced)) == expected


def test_long_text_is_cut_at_words_around_the_first_match() -> None:
    words = [f"w{i}" for i in range(200)]
    words[100] = "needle"
    out = snippet(" ".join(words), terms_pattern(["needle"], True))
    assert out.startswith("…w")
    assert out.endswith("…")
    assert "<em>needle</em>" in out
    assert len(out) <= 2 * WINDOW + len("<em>needle</em>") + 2
    assert all(part.startswith(("w", "<em>", "…w")) for part in out.split(" "))
