"""refservice/corpus.py: deterministic, per-language, Zipf-shaped documents."""

from __future__ import annotations

import collections
import itertools
import unicodedata

from loadplan.languages import SCRIPTS, SPACELESS
from loadplan.refservice.corpus import CorpusSpec, generate, generate_language

_SCRIPT_PREFIX = {
    "Latin": ("LATIN",),
    "Cyrillic": ("CYRILLIC",),
    "CJK": ("CJK", "HIRAGANA", "KATAKANA"),
    "Arabic": ("ARABIC",),
    "Devanagari": ("DEVANAGARI",),
}


def test_same_spec_same_documents() -> None:
    spec = CorpusSpec(docs=40, seed=7)
    assert list(generate(spec)) == list(generate(spec))
    other = list(generate(CorpusSpec(docs=40, seed=8)))
    assert [d.body for d in generate(spec)] != [d.body for d in other]


def test_every_language_of_every_script_gets_its_share_and_unique_ids() -> None:
    spec = CorpusSpec(docs=1003, seed=1)
    docs = list(generate(spec))
    assert len(docs) == 1003
    assert [d.id for d in docs] == list(range(1, 1004))
    counts = collections.Counter(d.lang for d in docs)
    assert set(counts) == set(SCRIPTS)
    assert {SCRIPTS[lang] for lang in counts} >= {
        "Latin",
        "Cyrillic",
        "CJK",
        "Arabic",
        "Devanagari",
    }
    assert max(counts.values()) - min(counts.values()) <= 1


def test_language_stream_does_not_depend_on_the_other_languages() -> None:
    alone = list(generate_language(CorpusSpec(docs=10, languages=("ru",)), "ru"))
    mixed = list(generate_language(CorpusSpec(docs=20, languages=("en", "ru")), "ru"))
    assert [d.body for d in alone] == [d.body for d in mixed]


def test_text_is_written_in_the_language_script() -> None:
    spec = CorpusSpec(docs=50, seed=3)
    for doc in generate(spec):
        prefixes = _SCRIPT_PREFIX[SCRIPTS[doc.lang]]
        letters = [ch for ch in doc.body if ch.isalpha()]
        assert letters, doc
        assert all(unicodedata.name(ch, "").startswith(prefixes) for ch in letters), doc.lang
        if doc.lang in SPACELESS:
            assert " " not in doc.body
        else:
            assert doc.body.count(" ") >= len(doc.words) - 1 - doc.body.count(".")


def test_word_frequencies_are_zipf_like() -> None:
    """The most frequent word is far more common than a mid-rank one, as in real text."""
    spec = CorpusSpec(docs=200, languages=("en",), seed=5)
    counts = collections.Counter(itertools.chain.from_iterable(d.words for d in generate(spec)))
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] > 20 * ranked[min(100, len(ranked) - 1)]
    assert len(counts) > 1000  # and a long tail of distinct words


def test_fingerprint_changes_with_what_decides_the_documents() -> None:
    base = CorpusSpec(docs=100, seed=1)
    assert base.fingerprint() == CorpusSpec(docs=100, seed=1).fingerprint()
    assert base.fingerprint() != CorpusSpec(docs=101, seed=1).fingerprint()
    assert base.fingerprint() != CorpusSpec(docs=100, seed=2).fingerprint()
    assert base.fingerprint() != CorpusSpec(docs=100, seed=1, languages=("en",)).fingerprint()
