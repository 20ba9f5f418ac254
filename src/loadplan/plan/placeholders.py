"""The placeholder notation of a plan's request templates: ``{name}``, ``{{`` and ``}}``.

A template string in ``[workload.template]`` is literal text with placeholders: ``{query}``,
``{lang}`` or any column of the query source. ``{{`` and ``}}`` are literal braces; format specs
and conversions (``{query!r}``, ``{n:3}``) are refused so a template means the same thing to
everyone reading it. The plan checks its templates with this notation when it is validated; the
workload's request templates (``loadplan.workload.template``) render the same parsed ``Text``.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, str]
"""One row of a query source: a value for each placeholder name."""

_FORMATTER = string.Formatter()


def _identity(value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class Text:
    """A template string split into literal text and placeholders.

    Attributes:
        source: the string as written.
        parts: (literal, placeholder name or None) pairs, in order.
    """

    source: str
    parts: tuple[tuple[str, str | None], ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for _, name in self.parts if name is not None)

    def render(self, row: Row, encode: Callable[[str], str] = _identity) -> str:
        """The string with each placeholder replaced by ``encode(row[name])``."""
        parts = self.parts
        # Most template strings are one literal ("GET") or one placeholder ("{query}"); the
        # renderer runs once per distinct request, so these skip the general join.
        if len(parts) == 1:
            literal, name = parts[0]
            return literal if name is None else literal + encode(row[name])
        return "".join(
            literal if name is None else literal + encode(row[name]) for literal, name in parts
        )


def compile_text(text: str) -> Text:
    """Split ``text`` into parts; raise ValueError saying how to write it if it is malformed.

    Example::

        compile_text("/search/{lang}").fields   # frozenset({'lang'})
    """
    try:
        pieces = list(_FORMATTER.parse(text))
    except ValueError as exc:
        msg = f"{exc}; write placeholders as {{name}} and literal braces as {{{{ and }}}}"
        raise ValueError(msg) from None
    parts: list[tuple[str, str | None]] = []
    if not pieces:
        pieces = [("", None, None, None)]
    for literal, name, spec, conversion in pieces:
        if name is not None and (not name.isidentifier() or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            msg = (
                f"placeholder {{{shown}}} is not a plain name; write e.g. {{query}} or {{lang}}, "
                "and {{ }} for literal braces"
            )
            raise ValueError(msg)
        parts.append((literal, name))
    return Text(source=text, parts=tuple(parts))


JsonTemplate = Any
"""A JSON value whose strings are ``Text``: dict, list, Text, number, bool or None."""


def compile_json(value: Any) -> JsonTemplate:
    """Compile every string inside a JSON value (keys stay literal)."""
    if isinstance(value, str):
        return compile_text(value)
    if isinstance(value, dict):
        return {key: compile_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_json(item) for item in value]
    return value
