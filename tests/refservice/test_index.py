"""refservice/index.py: each language's words find their documents; input is never FTS5 syntax."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadplan.languages import SCRIPTS
from loadplan.refservice.corpus import CorpusSpec, Document, generate_language
from loadplan.refservice.index import (
    INDEX_FILE,
    SearchIndex,
    build,
    check_fts5,
    index_fingerprint,
    stored_fingerprint,
)
from loadplan.workload.vocab import vocabulary


@pytest.fixture(scope="module")
def index(index_dir: Path) -> Iterator[SearchIndex]:
    idx = SearchIndex(index_dir / INDEX_FILE)
    yield idx
    idx.close()


def rarest_words(doc: Document, spec: CorpusSpec, n: int) -> list[str]:
    """The doc's n least frequent distinct words: they pick it out of the corpus."""
    rank = {w: i for i, w in enumerate(vocabulary(doc.lang, spec.vocab_size).words)}
    return sorted(set(doc.words), key=lambda w: -rank[w])[:n]


def test_this_python_has_fts5_with_trigram() -> None:
    check_fts5()


@pytest.mark.parametrize("lang", list(SCRIPTS))
def test_a_word_from_a_document_finds_it(
    index: SearchIndex, corpus_spec: CorpusSpec, lang: str
) -> None:
    for doc in list(generate_language(corpus_spec, lang))[:5]:
        word = rarest_words(doc, corpus_spec, 1)[0]
        result = index.search(lang, word, limit=100)
        assert doc.id in [h.id for h in result.hits], (lang, word, result.total)
        two = " ".join(rarest_words(doc, corpus_spec, 2))
        result = index.search(lang, two, limit=100)
        assert doc.id in [h.id for h in result.hits], (lang, two)
        assert result.hits[0].score >= result.hits[-1].score


@pytest.mark.parametrize("lang", ["zh", "ja"])
def test_cjk_terms_of_every_length(index: SearchIndex, corpus_spec: CorpusSpec, lang: str) -> None:
    """1-2 characters go to the character table, 3+ to trigrams; both find the document."""
    docs = list(generate_language(corpus_spec, lang))
    seen = set()
    for doc in docs:
        for word in doc.words:
            size = min(len(word), 3)
            if size in seen:
                continue
            seen.add(size)
            result = index.search(lang, word, limit=100)
            assert result.total >= 1, word
            matches = [
                h
                for h in result.hits
                if word in h.title or word in h.snippet.replace("<em>", "").replace("</em>", "")
            ]
            assert matches, (word, result.hits[:2])
        if seen == {1, 2, 3}:
            break
    assert seen == {1, 2, 3}
    # A phrase of characters must not match across a sentence end.
    assert index.search(lang, "。", limit=10).total == 0


def test_totals_count_every_match(index: SearchIndex) -> None:
    common = index.search("en", "the", limit=5)
    assert len(common.hits) == 5
    assert common.total > 100
    assert all("<em>" in h.snippet or "the" in h.title.lower() for h in common.hits)


@pytest.mark.parametrize(
    "query",
    ['"', '""', "AND", "OR NOT", "NEAR(a b)", "*", "title:x", "a AND (b", "^c", "'", "\\", "%_"],
    ids=repr,
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fts5_syntax_in_queries_is_searched_not_obeyed(
    index: SearchIndex, query: str, lang: str
) -> None:
    result = index.search(lang, query, limit=10)
    assert result.total >= 0


def test_unknown_language_or_blank_query_finds_nothing(index: SearchIndex) -> None:
    assert index.search("xx", "the", 10).total == 0
    assert index.search("en", "   ", 10).total == 0


def test_fingerprint_is_stored_and_read_back(index_dir: Path, corpus_spec: CorpusSpec) -> None:
    assert stored_fingerprint(index_dir / INDEX_FILE) == index_fingerprint(corpus_spec)
    assert stored_fingerprint(index_dir / "missing.sqlite") is None


def test_build_replaces_atomically(tmp_path: Path) -> None:
    spec = CorpusSpec(docs=20, languages=("en", "zh"))
    path = tmp_path / INDEX_FILE
    path.write_bytes(b"not a database")
    assert stored_fingerprint(path) is None
    build(path, spec)
    assert stored_fingerprint(path) == index_fingerprint(spec)
    assert [p.name for p in tmp_path.iterdir()] == [INDEX_FILE]
    idx = SearchIndex(path)
    try:
        assert idx.counts == {"en": 10, "zh": 10}
        with pytest.raises(sqlite3.OperationalError):
            idx._conn().execute("CREATE TABLE x (y)")  # opened read-only
    finally:
        idx.close()
