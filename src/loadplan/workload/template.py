"""Request templates: method, path, query parameters, headers and a JSON body with placeholders.

Placeholders are ``{name}``: ``{query}``, ``{lang}`` and any column of the query source, written
in the plan's notation (``loadplan.plan.placeholders``, which parses them into ``Text``).

Encoding happens here, once: a value put into the path is percent-encoded except for ``/``; a
query parameter's value is percent-encoded whole (a space becomes ``%20``); a parameter whose value
renders empty is left out, so ``lang = "{lang}"`` adds nothing for a query without a language.
Header values and JSON bodies get the values as they are (the body as UTF-8 JSON, with
``Content-Type: application/json`` unless the template sets a content type).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from loadplan.plan.placeholders import JsonTemplate, Row, Text, compile_json, compile_text

Rendered = tuple[str, str, tuple[tuple[str, str], ...], bytes]


class PercentEncoder(dict[int, str]):
    """``urllib.parse.quote(value, safe=safe)``, about four times faster on short strings.

    ``quote`` encodes to bytes and maps every byte in Python. Here ``str.translate`` maps each
    character through this dict (a C loop), and a character's escape (its UTF-8 bytes as ``%XX``)
    is computed the first time it is seen. The dict only grows with the distinct characters of
    the text it encodes (a few thousand for CJK), so each template keeps its own.

    Example::

        PercentEncoder()("東京 a/b")   # '%E6%9D%B1%E4%BA%AC%20a%2Fb'
    """

    def __init__(self, safe: str = "") -> None:
        super().__init__()
        self.safe = frozenset(_ALWAYS_SAFE + safe)

    def __missing__(self, code: int) -> str:
        char = chr(code)
        escape = char if char in self.safe else "".join(f"%{b:02X}" for b in char.encode())
        self[code] = escape
        return escape

    def __call__(self, value: str) -> str:
        return value.translate(self)


_ALWAYS_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def _encoded_literals(text: Text) -> Text:
    """The same template with non-ASCII and spaces in its literal parts percent-encoded, so a
    path written as ``/búsqueda`` is sent as ``/b%C3%BAsqueda``; reserved characters and
    existing ``%XX`` escapes stay as written."""
    parts = tuple((quote(literal, safe=_LITERAL_SAFE), name) for literal, name in text.parts)
    return Text(source=text.source, parts=parts)


_LITERAL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _json_fields(value: JsonTemplate) -> frozenset[str]:
    if isinstance(value, Text):
        return value.fields
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return frozenset().union(*(_json_fields(item) for item in items))


def _render_json(value: JsonTemplate, row: Row) -> Any:
    if isinstance(value, Text):
        return value.render(row)
    if isinstance(value, dict):
        return {key: _render_json(item, row) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_json(item, row) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """How one row of a query source becomes a request.

    Attributes:
        method: the HTTP method (may be a placeholder, e.g. ``{method}`` for log replay).
        path: the path, or None to send the row's ``target`` column as it is (log replay).
        params: query parameters as (percent-encoded name, value template).
        headers: extra headers as (name, value template).
        body: a compiled JSON body, or None for no body.
    """

    method: Text
    path: Text | None
    params: tuple[tuple[str, Text], ...] = ()
    headers: tuple[tuple[str, Text], ...] = ()
    body: JsonTemplate = None
    _encode_value: PercentEncoder = field(default_factory=PercentEncoder, compare=False, repr=False)
    _encode_path: PercentEncoder = field(
        default_factory=lambda: PercentEncoder("/"), compare=False, repr=False
    )

    @classmethod
    def build(
        cls,
        method: str,
        path: str | None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> RequestTemplate:
        """Compile a template from plain strings (as a plan writes them).

        Example::

            RequestTemplate.build("GET", "/search", {"q": "{query}", "lang": "{lang}"})
        """
        head = dict(headers or {})
        if body is not None and not any(k.lower() == "content-type" for k in head):
            head["Content-Type"] = "application/json"
        return cls(
            method=compile_text(method),
            path=None if path is None else _encoded_literals(compile_text(path)),
            params=tuple((quote(k, safe=""), compile_text(v)) for k, v in (params or {}).items()),
            headers=tuple((k, compile_text(v)) for k, v in head.items()),
            body=None if body is None else compile_json(body),
        )

    @property
    def fields(self) -> frozenset[str]:
        """Every placeholder the template uses (``target`` when it sends recorded targets)."""
        texts = [self.method, *(t for _, t in self.params), *(t for _, t in self.headers)]
        found = frozenset().union(*(t.fields for t in texts), _json_fields(self.body))
        return found | (self.path.fields if self.path is not None else {"target"})

    def render(self, row: Row) -> Rendered:
        """(method, target, headers, body) for ``row``."""
        # No path: a recorded target (log replay), already encoded as it was sent.
        path = self.path
        if path is None:
            target = row["target"]
        elif len(path.parts) == 1 and path.parts[0][1] is None:
            target = path.parts[0][0]  # a fixed path: nothing to render
        else:
            target = path.render(row, self._encode_path)
        pairs = []
        table = self._encode_value
        for name, text in self.params:
            # Most parameters are one placeholder ("{query}"): read it without a render call;
            # the renderer runs for every request outside the sampler's cache.
            literal, field_name = text.parts[0]
            if len(text.parts) == 1 and not literal and field_name is not None:
                value = row[field_name]
            else:
                value = text.render(row)
            if value:
                pairs.append(f"{name}={value.translate(table)}")
        if pairs:
            target += ("&" if "?" in target else "?") + "&".join(pairs)
        headers = tuple((name, text.render(row)) for name, text in self.headers)
        body = b""
        if self.body is not None:
            document = _render_json(self.body, row)
            body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return self.method.render(row).upper(), target, headers, body
