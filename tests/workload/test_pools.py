"""Built-in pools: distinct, in-script, realistic lengths, ranked, and reproducible."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from loadplan.languages import SCRIPTS, SPACELESS
from loadplan.plan.workload_tables import DEFAULT_TERMS
from loadplan.workload.pools import build_pool

_SCRIPT_NAMES = {
    "Latin": ("LATIN",),
    "Cyrillic": ("CYRILLIC",),
    "CJK": ("CJK", "HIRAGANA", "KATAKANA"),
    "Arabic": ("ARABIC",),
    "Devanagari": ("DEVANAGARI",),
}


@pytest.mark.parametrize("lang", sorted(SCRIPTS), ids=sorted(SCRIPTS))
def test_pool_is_distinct_and_in_script(lang: str) -> None:
    pool = build_pool(lang, 3000, seed=1)
    texts = [pool.text(rank) for rank in range(len(pool))]
    assert len(pool) == 3000
    assert len(set(texts)) == 3000
    allowed = _SCRIPT_NAMES[SCRIPTS[lang]]
    for text in texts[:300]:
        for ch in text:
            assert ch == " " or unicodedata.name(ch, "").startswith(allowed), (lang, text)
    if lang in SPACELESS:
        assert not any(" " in t for t in texts)


def test_length_mix_follows_terms_at_every_popularity_level() -> None:
    pool = build_pool("en", 8000, seed=3)
    counts = pool.term_counts()
    expected = np.asarray(DEFAULT_TERMS) / sum(DEFAULT_TERMS)
    overall = np.bincount(counts, minlength=5)[1:] / len(counts)
    head = np.bincount(counts[:800], minlength=5)[1:] / 800
    np.testing.assert_allclose(overall, expected, atol=0.01)
    np.testing.assert_allclose(head, expected, atol=0.05)


def test_queries_never_repeat_a_term() -> None:
    pool = build_pool("de", 4000, seed=2)
    for row in pool.words.tolist():
        terms = [t for t in row if t >= 0]
        assert len(terms) == len(set(terms))


def test_char_counts_match_texts() -> None:
    for lang in ("en", "ja"):
        pool = build_pool(lang, 500, seed=5)
        assert pool.char_counts().tolist() == [len(pool.text(r)) for r in range(len(pool))]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        pytest.param({"seed": 7}, {"seed": 7}, True, id="same-seed"),
        pytest.param({"seed": 7}, {"seed": 8}, False, id="other-seed"),
        pytest.param({"seed": 7}, {"seed": 7, "terms": (1, 1, 1, 1)}, False, id="other-terms"),
    ],
)
def test_pools_are_reproducible(first: dict, second: dict, same: bool) -> None:
    a = build_pool("ru", 2000, **first)
    b = build_pool("ru", 2000, **second)
    assert np.array_equal(a.words, b.words) is same


def test_popular_queries_use_more_common_words() -> None:
    pool = build_pool("fr", 5000, seed=4)
    first_word = np.where(pool.words[:, 0] >= 0, pool.words[:, 0], 0)
    assert np.median(first_word[:500]) < np.median(first_word[-500:])


def test_only_the_lengths_asked_for() -> None:
    pool = build_pool("es", 1000, seed=1, terms=(0, 1))
    assert set(pool.term_counts().tolist()) == {2}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"terms": (1.0,), "vocab_size": 300}, "only .* distinct", id="too-few-words"),
        pytest.param({"terms": ()}, "give 1 to 4 weights", id="no-terms"),
        pytest.param({"terms": (1, 1, 1, 1, 1)}, "give 1 to 4 weights", id="five-terms"),
        pytest.param({"terms": (0, 0)}, "not all zero", id="all-zero"),
        pytest.param({"vocab_size": 60_000}, "between 1 and 50000", id="vocab-too-big"),
    ],
)
def test_bad_pool_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_pool("en", 5000, seed=0, **kwargs)


def test_default_size_pool() -> None:
    """The default pool (100,000 distinct queries) builds; speed is measured in bench/."""
    pool = build_pool("en", 100_000, seed=0)
    assert len(pool) == 100_000
    keys = {tuple(row) for row in pool.words.tolist()}
    assert len(keys) == 100_000
