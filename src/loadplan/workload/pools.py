"""Built-in query pools: distinct, realistic queries per language, ranked by popularity.

A pool is built from the language's vocabulary (``vocab.py``, the same words the reference
service writes its documents with, so queries find documents):

* Each query has 1 to 4 terms. The default length mix (25 % one term, 32 % two, 23 % three,
  20 % four; mean 2.38) follows published web-search logs, which put the mean near 2.4 terms.
  The pool holds that mix as closely as the vocabulary allows (there are only so many distinct
  one-word queries; a shortfall moves to the next length).
* Terms are drawn by word frequency, tempered (``freq ** 0.5``) and without the language's 100
  most frequent words. Raw frequencies would make most queries out of function words ("of the",
  "の に"); tempering keeps common words common while letting content words through.
* A query never repeats a term, and the pool holds ``size`` distinct query strings.

Ranking (rank 0 is the most popular): within each length, queries are ordered by a sample
without replacement by their probability under the *raw* word frequencies (Gumbel-top-k), so
popular queries are made of common words. The lengths are then interleaved evenly, so every
stretch of ranks, the head included, has the pool's length mix: the traffic the service sees has
the configured length distribution whatever the popularity model.

Everything is vectorized: a query is a row of word indices, identity is an int64 key built from
them, and ``np.unique`` removes duplicates. Text is made only when a query is rendered (and,
for Chinese and Japanese, once at build time: without spaces, different word sequences can
join to the same string, and those must count once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loadplan.languages import SPACELESS
from loadplan.plan.workload_tables import (
    DEFAULT_TERMS,
    DEFAULT_VOCAB_SIZE,
    MAX_TERMS,
    MAX_VOCAB_SIZE,
)
from loadplan.workload.vocab import Vocabulary, vocabulary

_SKIP_TOP = 100
_TEMPER = 0.5
_POOL_STREAM = 0
_MAX_ROUNDS = 8


def language_key(lang: str) -> int:
    """A stable integer for a language code, so each language's random stream is its own."""
    return int.from_bytes(lang.encode("utf-8"), "big")


@dataclass(frozen=True, slots=True, eq=False)
class QueryPool:
    """The distinct queries of one language, most popular first.

    Attributes:
        vocab: the vocabulary the queries are made of.
        words: one row per query: vocabulary indices of its terms, padded with -1.
    """

    vocab: Vocabulary
    words: npt.NDArray[np.int32]

    @property
    def lang(self) -> str:
        return self.vocab.lang

    def __len__(self) -> int:
        return int(self.words.shape[0])

    def text(self, rank: int) -> str:
        """The query at ``rank`` (0 is the most popular), written the way the language writes."""
        words = self.vocab.words
        return self.vocab.join([words[t] for t in self.words[rank].tolist() if t >= 0])

    def term_counts(self) -> npt.NDArray[np.int64]:
        """Number of terms of each query."""
        return np.asarray((self.words >= 0).sum(axis=1), dtype=np.int64)

    def char_counts(self) -> npt.NDArray[np.int64]:
        """Number of characters of each query, spaces included."""
        word_lengths = np.fromiter((len(w) for w in self.vocab.words), dtype=np.int64)
        present = self.words >= 0
        chars = np.where(present, word_lengths[np.maximum(self.words, 0)], 0).sum(axis=1)
        if self.lang not in SPACELESS:
            chars = chars + np.maximum(present.sum(axis=1) - 1, 0)
        return np.asarray(chars, dtype=np.int64)


def build_pool(
    lang: str,
    size: int,
    *,
    seed: int,
    terms: Sequence[float] = DEFAULT_TERMS,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
) -> QueryPool:
    """``size`` distinct queries in ``lang``, ranked by popularity; the same for the same seed.

    Raises ValueError when the vocabulary cannot make ``size`` distinct queries.

    Example::

        pool = build_pool("de", 10_000, seed=1)
        pool.text(0)   # a query made of common words, such as 'zeit'
    """
    if not 1 <= len(terms) <= MAX_TERMS or min(terms) < 0 or sum(terms) <= 0:
        msg = f"terms = {list(terms)!r}: give 1 to {MAX_TERMS} weights >= 0, not all zero"
        raise ValueError(msg)
    if not 1 <= vocab_size <= MAX_VOCAB_SIZE:
        msg = f"vocab_size = {vocab_size}: must be between 1 and {MAX_VOCAB_SIZE}"
        raise ValueError(msg)
    vocab = vocabulary(lang, vocab_size)
    skip = min(_SKIP_TOP, len(vocab.words) // 10)
    maker = _Maker(vocab, skip, lang in SPACELESS)
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_POOL_STREAM, language_key(lang))))
    )
    classes: list[npt.NDArray[np.int64]] = []
    carry = 0
    for length, wanted in enumerate(_class_sizes(size, terms), start=1):
        if terms[length - 1] <= 0:
            continue
        rows = maker.distinct(rng, length, wanted + carry)
        carry = wanted + carry - len(rows)
        classes.append(rows)
    if carry > 0:
        msg = (
            f"pool_size = {size} for {lang!r}: only {size - carry} distinct queries could be made "
            f"from {len(maker.cdf)} words with up to {len(terms)} terms; lower pool_size, "
            "raise vocab_size or allow longer queries"
        )
        raise ValueError(msg)
    rows = _rank(rng, classes, np.log(vocab.weights[skip:]))
    words = np.where(rows > 0, rows - 1 + skip, -1).astype(np.int32)
    return QueryPool(vocab=vocab, words=words)


def _class_sizes(size: int, terms: Sequence[float]) -> list[int]:
    """``size`` split in proportion to ``terms`` (largest remainders get the leftovers)."""
    share = np.asarray(terms, dtype=np.float64) / sum(terms) * size
    counts = np.floor(share).astype(np.int64)
    leftover = size - int(counts.sum())
    counts[np.argsort(-(share - counts), kind="stable")[:leftover]] += 1
    return [int(c) for c in counts]


class _Maker:
    """Draws distinct queries of a given length; remembers texts for spaceless languages."""

    def __init__(self, vocab: Vocabulary, skip: int, spaceless: bool) -> None:
        self.cdf = np.cumsum(vocab.weights[skip:] ** _TEMPER)
        self.base = len(self.cdf) + 1  # 0 marks "no term"; words are 1..len(cdf)
        self.spaceless = spaceless
        self.table = np.array(["", *vocab.words[skip:]], dtype=object) if spaceless else None
        self.texts: set[str] = set()

    def distinct(self, rng: np.random.Generator, length: int, count: int) -> npt.NDArray[np.int64]:
        """Up to ``count`` new distinct queries of ``length`` terms, in order of first draw."""
        rows = np.zeros((0, MAX_TERMS), dtype=np.int64)
        for attempt in range(_MAX_ROUNDS):
            drawn = int((count - len(rows)) * 1.3 * 2**attempt) + 256
            before = len(rows)
            rows = self._first_distinct(np.concatenate([rows, self._draw(rng, length, drawn)]))
            if len(rows) >= count or len(rows) - before < drawn // 100:
                break  # enough, or saturated: almost every draw was a repeat
        rows = rows[:count]
        if self.spaceless:
            rows = rows[self._new_texts(rows)]
        return rows

    def _draw(self, rng: np.random.Generator, length: int, count: int) -> npt.NDArray[np.int64]:
        draws = rng.random((count, length)) * self.cdf[-1]
        words = np.zeros((count, MAX_TERMS), dtype=np.int64)
        picked = np.searchsorted(self.cdf, draws, side="right") + 1
        words[:, :length] = np.minimum(picked, len(self.cdf))
        ordered = np.sort(words[:, :length], axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        return np.asarray(words[~repeated], dtype=np.int64)

    def _first_distinct(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        keys = np.zeros(len(rows), dtype=np.int64)
        for column in range(MAX_TERMS):
            keys = keys * self.base + rows[:, column]
        _, first = np.unique(keys, return_index=True)
        return rows[np.sort(first)]

    def _new_texts(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Indices of rows whose joined text no earlier row (of any length) had."""
        # Adding object arrays concatenates the strings in numpy's loop, not in Python bytecode.
        picked = self.table[rows]  # type: ignore[index]  # set when spaceless
        texts = picked[:, 0] + picked[:, 1] + picked[:, 2] + picked[:, 3]
        keep = []
        for i, text in enumerate(texts.tolist()):
            if text not in self.texts:
                self.texts.add(text)
                keep.append(i)
        return np.asarray(keep, dtype=np.int64)


def _rank(
    rng: np.random.Generator,
    classes: list[npt.NDArray[np.int64]],
    log_freq: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """All rows, most popular first: Gumbel-top-k within a length, lengths interleaved evenly."""
    ranked, position = [], []
    for rows in classes:
        log_p = np.where(rows > 0, log_freq[np.maximum(rows - 1, 0)], 0.0).sum(axis=1)
        order = np.argsort(-(log_p + rng.gumbel(size=len(rows))), kind="stable")
        ranked.append(rows[order])
        # The k-th of n queries of this length sits at quantile (k + jitter) / n of the pool.
        position.append((np.arange(len(rows)) + rng.random(len(rows))) / max(len(rows), 1))
    merged = np.concatenate(ranked)
    return np.asarray(merged[np.argsort(np.concatenate(position), kind="stable")], dtype=np.int64)
