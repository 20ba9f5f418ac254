"""A multilingual document corpus, generated deterministically from real word frequencies.

The reference service needs text whose statistics look like a real search index: a few very
common words in almost every document, a long tail of rare ones that pick out a handful. Sampling
words by their ``wordfreq`` weights gives exactly that Zipf-like shape per language, and because
the workload's query pools draw from the same vocabularies (``loadplan.workload.vocab``), its
queries hit these documents the way real queries hit a real index.

The same ``CorpusSpec`` always yields the same documents (same seed, same wordfreq data), so a
test can regenerate a document and know the service holds it, and an index on disk can be reused
when its fingerprint matches.

Example::

    spec = CorpusSpec(docs=2000, seed=42)
    for doc in generate(spec):
        print(doc.id, doc.lang, doc.title)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np

from loadplan.languages import SCRIPTS, SPACELESS
from loadplan.workload.vocab import Vocabulary, vocabulary

CORPUS_VERSION = 2
"""Bump when generation changes, so indexes built by older code are rebuilt, not reused."""

_SENTENCE_END = {"hi": "।", "zh": "。", "ja": "。"}
_CASED_SCRIPTS = frozenset({"Latin", "Cyrillic"})
_TITLE_TEMPER = 0.6
"""Titles draw from weights**0.6: real titles carry fewer function words than running text."""


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """What to generate; two equal specs generate identical corpora.

    Attributes:
        docs: total number of documents, split evenly across ``languages``.
        seed: seeds every random choice.
        languages: ISO 639-1 codes, each a key of ``loadplan.languages.SCRIPTS``.
        vocab_size: how many of each language's most frequent words to draw from.
        mean_body_words: median body length in words (lengths are log-normal around it).
    """

    docs: int
    seed: int = 42
    languages: tuple[str, ...] = field(default_factory=lambda: tuple(SCRIPTS))
    vocab_size: int = 20_000
    mean_body_words: int = 60

    def per_language(self) -> dict[str, int]:
        """Documents per language: an even split, the remainder going to the first languages."""
        base, extra = divmod(self.docs, len(self.languages))
        return {lang: base + (1 if i < extra else 0) for i, lang in enumerate(self.languages)}

    def first_id(self, lang: str) -> int:
        """Id of ``lang``'s first document; ids are contiguous per language, starting at 1."""
        counts = self.per_language()
        start = 1
        for other in self.languages:
            if other == lang:
                return start
            start += counts[other]
        msg = f"language {lang!r} is not in this corpus ({', '.join(self.languages)})"
        raise ValueError(msg)

    def fingerprint(self) -> str:
        """A digest of everything that decides the documents, for reusing an index on disk."""
        parts = {
            "corpus_version": CORPUS_VERSION,
            "docs": self.docs,
            "seed": self.seed,
            "languages": list(self.languages),
            "vocab_size": self.vocab_size,
            "mean_body_words": self.mean_body_words,
            # The word lists are data: a new wordfreq release means new documents.
            "wordfreq": version("wordfreq"),
        }
        blob = json.dumps(parts, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Document:
    """One generated document.

    Attributes:
        id: unique across the corpus, starting at 1.
        lang: ISO 639-1 code.
        title: a short phrase.
        body: a few sentences.
        words: the body's words in order, before joining (CJK text has no spaces to split on).
    """

    id: int
    lang: str
    title: str
    body: str
    words: tuple[str, ...]


def generate(spec: CorpusSpec) -> Iterator[Document]:
    """Every document of the corpus, language by language, in id order."""
    for lang in spec.languages:
        yield from generate_language(spec, lang)


def generate_language(spec: CorpusSpec, lang: str) -> Iterator[Document]:
    """The documents of one language; independent of which other languages the spec holds."""
    count = spec.per_language()[lang]
    if count == 0:
        return
    vocab = vocabulary(lang, spec.vocab_size)
    # One stream per language, keyed by the code itself, so adding a language changes no other.
    rng = np.random.default_rng([spec.seed, int.from_bytes(lang.encode(), "big")])
    body_lengths = np.clip(
        rng.lognormal(np.log(spec.mean_body_words), 0.5, size=count), 8, 8 * spec.mean_body_words
    ).astype(np.int64)
    title_lengths = rng.integers(2, 8, size=count)
    # Draw every word of the language at once: one vectorised choice instead of one per word.
    body_words = rng.choice(len(vocab.words), size=int(body_lengths.sum()), p=vocab.weights)
    tempered = vocab.weights**_TITLE_TEMPER
    title_words = rng.choice(
        len(vocab.words), size=int(title_lengths.sum()), p=tempered / tempered.sum()
    )
    sentence_lengths = rng.integers(6, 18, size=int(body_lengths.sum()) // 6 + count).tolist()
    words = vocab.words
    # Plain lists: indexing a tuple with Python ints is several times faster than with numpy ints.
    body_idx, title_idx = body_words.tolist(), title_words.tolist()
    body_len, title_len = body_lengths.tolist(), title_lengths.tolist()
    first = spec.first_id(lang)
    b = t = s = 0
    for i in range(count):
        body = tuple([words[k] for k in body_idx[b : b + body_len[i]]])
        title = [words[k] for k in title_idx[t : t + title_len[i]]]
        b += body_len[i]
        t += title_len[i]
        text, s = _sentences(vocab, body, sentence_lengths, s)
        yield Document(id=first + i, lang=lang, title=_title(vocab, title), body=text, words=body)


def _sentences(
    vocab: Vocabulary, words: tuple[str, ...], lengths: list[int], s: int
) -> tuple[str, int]:
    """Cut ``words`` into sentences of the given lengths; return the text and the next length."""
    end = _SENTENCE_END.get(vocab.lang, ".")
    gap = "" if vocab.lang in SPACELESS else " "
    cased = vocab.script in _CASED_SCRIPTS
    out: list[str] = []
    i = 0
    while i < len(words):
        n = lengths[s % len(lengths)]
        s += 1
        chunk = list(words[i : i + n])
        i += n
        if cased:
            chunk[0] = chunk[0][:1].upper() + chunk[0][1:]
        out.append(vocab.join(chunk) + end)
    return gap.join(out), s


def _title(vocab: Vocabulary, words: list[str]) -> str:
    if vocab.script in _CASED_SCRIPTS:
        words[0] = words[0][:1].upper() + words[0][1:]
    return vocab.join(words)
