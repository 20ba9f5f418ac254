"""refservice/params.py: raw query strings to SearchParams, or a 400 message naming the problem."""

from __future__ import annotations

import pytest

from loadplan.refservice.params import BadRequest, SearchParams, parse_search

LANGS = {"en", "zh", "fr"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"q=weather&lang=en", SearchParams("weather", "en", 10)),
        (b"q=caf%C3%A9+cr%C3%A8me&lang=fr&limit=3", SearchParams("café crème", "fr", 3)),
        (b"q=%E6%88%91%E4%BB%AC&lang=zh", SearchParams("我们", "zh", 10)),
        (b"q=++a%20%20b++&lang=en", SearchParams("a b", "en", 10)),
        (b"lang=en&q=x&limit=100&utm=1&&", SearchParams("x", "en", 100)),
        (b"q=%22AND%22&lang=en", SearchParams('"AND"', "en", 10)),
    ],
    ids=lambda v: v.decode() if isinstance(v, bytes) else "",
)
def test_valid(raw: bytes, expected: SearchParams) -> None:
    assert parse_search(raw, LANGS) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"lang=en", "q is missing or empty"),
        (b"q=&lang=en", "q is missing or empty"),
        (b"q=+++&lang=en", "q is missing or empty"),
        (b"q=a&lang=xx", "lang='xx' is not served; use one of en, fr, zh"),
        (b"q=a", "lang is missing"),
        (b"q=" + b"a" * 513 + b"&lang=en", "q has 513 characters; send at most 512"),
        (b"q=%ZZ&lang=en", "q has a broken percent-escape '%ZZ'"),
        (b"q=abc%&lang=en", "q has a broken percent-escape '%'"),
        (b"q=%C3%28&lang=en", "q is not valid UTF-8 (byte 0xC3 at offset 0)"),
        (b"q=\xff&lang=en", "q is not valid UTF-8 (byte 0xFF"),
        (b"q=a%00b&lang=en", "control character U+0000"),
        (b"q=a&lang=en&limit=0", "limit=0 is out of range; send 1 to 100"),
        (b"q=a&lang=en&limit=101", "limit=101 is out of range"),
        (b"q=a&lang=en&limit=-1", "limit='-1' is not a whole number"),
        (b"q=a&lang=en&limit=%D9%A3", "is not a whole number"),  # Arabic-Indic three
        (b"q=a&q=b&lang=en", "q is given more than once"),
        (b"q=a&lang=en&l%ZZ=1", "parameter name has a broken percent-escape"),
    ],
    ids=lambda v: v.decode("latin-1")[:40] if isinstance(v, bytes) else "",
)
def test_invalid(raw: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_search(raw, LANGS)
    assert message in str(info.value)


def test_cache_key_ignores_case_and_spacing() -> None:
    a = parse_search(b"q=The++Weather&lang=en", LANGS)
    b = parse_search(b"q=the%20weather&lang=en", LANGS)
    assert a.cache_key == b.cache_key
    assert a.query == "The Weather"
