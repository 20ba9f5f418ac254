"""Per-language vocabularies from real word frequencies (the ``wordfreq`` package).

Both the workload's query pools and the reference service's corpus draw words from here, so a
query built from a language's vocabulary can hit documents written from the same vocabulary.
Words that are not in the language's script (emoji, stray Latin in a CJK list, digits) are
dropped, so a "ja" query really is Japanese text.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loadplan.languages import SCRIPTS, SPACELESS, check_language

_SCRIPT_PREFIXES: dict[str, tuple[str, ...]] = {
    "Latin": ("LATIN",),
    "Cyrillic": ("CYRILLIC",),
    "CJK": ("CJK", "HIRAGANA", "KATAKANA"),
    "Arabic": ("ARABIC",),
    "Devanagari": ("DEVANAGARI",),
}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The most frequent words of one language, most frequent first.

    Attributes:
        lang: ISO 639-1 code.
        words: the words, in descending frequency.
        weights: relative frequency of each word, summing to 1.
    """

    lang: str
    words: tuple[str, ...]
    weights: npt.NDArray[np.float64]

    @property
    def script(self) -> str:
        return SCRIPTS[self.lang]

    def join(self, words: list[str] | tuple[str, ...]) -> str:
        """Join words the way the language writes them (no spaces in Chinese and Japanese)."""
        return ("" if self.lang in SPACELESS else " ").join(words)


def _in_script(word: str, script: str) -> bool:
    prefixes = _SCRIPT_PREFIXES[script]
    for ch in word:
        name = unicodedata.name(ch, "")
        # The name alone is not enough: ARABIC-INDIC DIGIT ONE, DEVANAGARI DIGIT TWO, KATAKANA
        # MIDDLE DOT and ARABIC PLACE OF SAJDAH are named after their script too.
        if not name.startswith(prefixes) or unicodedata.category(ch)[0] not in "LM":
            # Combining marks (Devanagari vowel signs, Arabic harakat) are named after the script
            # too; anything else (digits, punctuation, emoji, another script) disqualifies the word.
            return False
    return bool(word)


def _release_wordfreq_caches() -> None:
    """Drop the word lists wordfreq keeps in its own caches once read.

    We keep only the words we took (this module caches each ``Vocabulary``); wordfreq keeps
    every full list and dictionary it has read, for the life of the process: 335 MB for the
    ten built-in languages (RSS 525 -> 190 MB measured after building them), held by the
    coordinator and copied into every worker it forks.
    """
    import wordfreq

    for cached in (wordfreq.get_frequency_dict, wordfreq.get_frequency_list, wordfreq.top_n_list):
        cache_clear = getattr(cached, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


@functools.lru_cache(maxsize=32)
def vocabulary(lang: str, size: int = 20_000) -> Vocabulary:
    """The ``size`` most frequent in-script words of ``lang`` (fewer if wordfreq has fewer).

    Example::

        vocab = vocabulary("ru", 5000)
        vocab.words[:3]   # ('в', 'и', 'на')
    """
    from wordfreq import get_frequency_dict, top_n_list

    check_language(lang)
    script = SCRIPTS[lang]
    # Ask for more than needed: filtering by script drops a share of every list.
    raw = top_n_list(lang, int(size * 1.5) + 100)
    words = [w for w in raw if _in_script(w, script)][:size]
    if not words:
        msg = f"wordfreq returned no {script} words for {lang!r}"
        raise ValueError(msg)
    # The frequency table, not word_frequency(): that one re-tokenizes each word (and needs jieba
    # or MeCab for CJK) only to find the same number.
    table = get_frequency_dict(lang)
    freqs = np.array([table.get(w, 0.0) for w in words], dtype=np.float64)
    freqs = np.maximum(freqs, 1e-12)
    del table
    _release_wordfreq_caches()
    return Vocabulary(lang=lang, words=tuple(words), weights=freqs / freqs.sum())
