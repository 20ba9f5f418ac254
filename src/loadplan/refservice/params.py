"""Parsing ``/search`` query strings strictly, so bad input becomes a 400 that names the problem.

Starlette's ``request.query_params`` decodes leniently: a broken ``%`` escape passes through as
text and invalid UTF-8 becomes U+FFFD, so a client bug would look like an odd query that finds
nothing. A load tool should hear about such bugs, so the raw query string is parsed here and
every defect is rejected with a message saying which parameter, what was wrong, and what to send.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass

from loadplan.refservice.config import MAX_LIMIT, MAX_QUERY_CHARS

DEFAULT_LIMIT = 10
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_KNOWN = ("q", "lang", "limit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class BadRequest(ValueError):  # noqa: N818 - names the HTTP status it becomes
    """The request cannot be served as sent; the message is for the client."""


@dataclass(frozen=True, slots=True)
class SearchParams:
    """A valid search.

    Attributes:
        query: the query text, whitespace runs collapsed to one space.
        lang: a language the index holds.
        limit: how many results to return (1..MAX_LIMIT).
    """

    query: str
    lang: str
    limit: int

    @property
    def cache_key(self) -> str:
        # The index folds case, so "Weather" and "weather" find the same documents.
        return f"{self.lang}|{self.limit}|{self.query.lower()}"


def parse_search(raw: bytes, languages: Collection[str]) -> SearchParams:
    """Validate a raw query string (bytes after the ``?``); raise BadRequest naming the problem.

    Example::

        parse_search(b"q=caf%C3%A9&lang=fr", {"fr"})  # SearchParams("café", "fr", 10)
    """
    values: dict[str, str] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        name_raw, _, value_raw = part.partition(b"=")
        name = _decode(name_raw, "parameter name") if b"%" in name_raw else _ascii(name_raw)
        if name not in _KNOWN:
            continue  # unknown parameters (cache busters, tracking) are ignored
        if name in values:
            msg = f"{name} is given more than once; send it once"
            raise BadRequest(msg)
        values[name] = _decode(value_raw, name)
    text = values.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        msg = f"q has {len(text)} characters; send at most {MAX_QUERY_CHARS}"
        raise BadRequest(msg)
    query = " ".join(text.split())
    if not query:
        msg = "q is missing or empty; send the search text as q=..."
        raise BadRequest(msg)
    control = _CONTROL.search(query)  # whitespace controls are gone: split() took them
    if control:
        msg = f"q contains the control character U+{ord(control.group()):04X}; remove it"
        raise BadRequest(msg)
    lang = values.get("lang", "")
    if lang not in languages:
        known = ", ".join(sorted(languages))
        got = f"lang={lang!r} is not served" if lang else "lang is missing"
        msg = f"{got}; use one of {known}"
        raise BadRequest(msg)
    limit_text = values.get("limit")
    limit = DEFAULT_LIMIT
    if limit_text is not None:
        if not limit_text.isascii() or not limit_text.isdigit():
            msg = f"limit={limit_text!r} is not a whole number; send 1 to {MAX_LIMIT}"
            raise BadRequest(msg)
        limit = int(limit_text)
        if not 1 <= limit <= MAX_LIMIT:
            msg = f"limit={limit} is out of range; send 1 to {MAX_LIMIT}"
            raise BadRequest(msg)
    return SearchParams(query=query, lang=lang, limit=limit)


def _ascii(raw: bytes) -> str:
    # Names are compared with ASCII ones; anything else just fails to match, never raises.
    return raw.decode("latin-1")


def _decode(raw: bytes, what: str) -> str:
    # The common case, plain text without escapes, skips the regex and the unquoting: this
    # parser is on the path of every cache hit.
    data = raw.replace(b"+", b" ") if b"+" in raw else raw
    if b"%" in data:
        bad = _BAD_ESCAPE.search(data)
        if bad:
            snippet = data[bad.start() : bad.start() + 3].decode("ascii", "backslashreplace")
            msg = f"{what} has a broken percent-escape {snippet!r}; escape '%' as %25"
            raise BadRequest(msg)
        data = urllib.parse.unquote_to_bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        msg = f"{what} is not valid UTF-8 (byte 0x{byte:02X} at offset {exc.start}); send UTF-8"
        raise BadRequest(msg) from None
