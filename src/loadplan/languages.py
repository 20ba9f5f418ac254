"""Languages: what a language tag looks like, and the languages loadplan writes text in.

Three layers need these facts and none owns them: the plan refuses a mix that names a language
the built-in pools cannot write (at validation, so the error names the plan's line), the
workload builds its pools and reads query files by them, and the reference service writes its
corpus in the same languages. They live here, below all three, so that none imports another
for a table of language codes.
"""

from __future__ import annotations

import re

SCRIPTS: dict[str, str] = {
    "en": "Latin",
    "es": "Latin",
    "de": "Latin",
    "fr": "Latin",
    "pt": "Latin",
    "ru": "Cyrillic",
    "zh": "CJK",
    "ja": "CJK",
    "ar": "Arabic",
    "hi": "Devanagari",
}
"""Languages loadplan can generate text for, and the script each is written in."""

SPACELESS = frozenset({"zh", "ja"})
"""Languages written without spaces between words; their text joins words directly."""

_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def check_language(lang: str) -> str:
    """Return ``lang`` if supported, else raise ValueError naming the supported ones."""
    if lang not in SCRIPTS:
        known = ", ".join(sorted(SCRIPTS))
        msg = f"unknown language {lang!r}: use one of {known}"
        raise ValueError(msg)
    return lang


def is_lang_tag(value: str) -> bool:
    """Whether ``value`` looks like a language tag (``en``, ``pt-BR``, ``zh_Hant``)."""
    return bool(_LANG_TAG.fullmatch(value))  # fullmatch: "$" would let "en\n" through
