"""A TOML plan file that can say on which line a field lives.

``tomllib`` gives values without positions, so a validation error would otherwise say only
"stages.2.rate". Users fix files by line, so this module maps a field path back to the line that
set it (or, failing that, to the table that holds it) with a small scan of the text. The scan
understands what plans use: ``[table]``, ``[[array.of.tables]]``, ``key = value`` and dotted keys.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from loadplan.errors import PlanError, shown

FieldPath = tuple[str | int, ...]

_AT = re.compile(r" \(at line (\d+), column (\d+)\)$")
_LONG_NUMBER = re.compile(r"\d{4000}")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", dotted)
    return tuple(a or b or c for a, b, c in parts)


@dataclass(frozen=True, slots=True)
class PlanSource:
    """The text of a plan file, its parsed data and a map from field paths to line numbers.

    Example::

        source = PlanSource.read(Path("plan.toml"))
        source.line_of(("load", "rate"))   # 7
    """

    name: str
    data: dict[str, Any]
    lines: dict[FieldPath, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> PlanSource:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            msg = f"{path}: no such plan file; pass the path of a TOML plan"
            raise PlanError(msg) from None
        except OSError as exc:
            msg = f"{path}: cannot read the plan ({exc.strerror}); check the path and permissions"
            raise PlanError(msg) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            msg = f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x}); save the plan as UTF-8"
            raise PlanError(msg) from None
        return cls.parse(text, name=str(path))

    @classmethod
    def parse(cls, text: str, name: str = "<plan>") -> PlanSource:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(_toml_problem(name, str(exc))) from None
        except ValueError:
            # Not a TOMLDecodeError: int() refuses a number of more than 4300 digits.
            line = next((n for n, raw in _numbered(text) if _LONG_NUMBER.search(raw)), None)
            where = f"{name}:{line}" if line else name
            msg = f"{where}: a number with thousands of digits; write one that fits in a float"
            raise PlanError(msg) from None
        return cls(name=name, data=data, lines=_index_lines(text))

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line that sets ``path``, or the nearest enclosing table's line; None if unknown."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None

    def where(self, path: Sequence[str | int]) -> str:
        """``file:line`` (or just ``file``) for messages."""
        line = self.line_of(path)
        return f"{self.name}:{line}" if line else self.name

    def problems(self, error: ValidationError, prefix: FieldPath = ()) -> PlanError:
        """A PlanError with one ``file:line field: why`` line per problem of ``error``."""
        return PlanError(describe_validation_error(error, self, prefix))


def format_field(path: Sequence[str | int]) -> str:
    """``("stages", 2, "rate")`` → ``stages[2].rate``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def describe_validation_error(
    error: ValidationError, source: PlanSource | None, prefix: FieldPath = ()
) -> list[str]:
    lines = []
    for problem in error.errors():
        # pydantic puts the union member or validator name in loc; keep only real field names.
        loc = prefix + tuple(p for p in problem["loc"] if isinstance(p, int | str))
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or "-" in p)))
        loc = _without_tags(loc, source.data if source else {})
        where = source.where(loc) if source else "<settings>"
        value = problem.get("input")
        msg = problem["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
            ctx = problem.get("ctx", {})
            tag_path = (*loc, str(ctx.get("discriminator", "type")).strip("'"))
            field = format_field(tag_path)
            where = source.where(tag_path) if source else where
            if "tag" in ctx:
                choices = str(ctx.get("expected_tags", "")).replace("'", "")
                lines.append(
                    f"{where} {field} = {shown(ctx['tag'])}: unknown; use one of {choices}"
                )
            else:
                lines.append(f"{where} {field}: missing; it says what kind of table this is")
        elif problem["type"] == "missing":
            lines.append(f"{where} {format_field(loc)}: missing; add it to the plan")
        elif problem["type"] == "extra_forbidden":
            lines.append(f"{where} {format_field(loc)}: unknown field; check its spelling")
        elif isinstance(value, dict | list):
            lines.append(f"{where} {format_field(loc)}: {msg}")
        else:
            lines.append(f"{where} {format_field(loc)} = {shown(value)}: {msg}")
    return lines


def _without_tags(loc: FieldPath, data: Any) -> FieldPath:
    """Drop the tag pydantic adds to the loc of a discriminated union member.

    An error in ``[[stages]]`` comes back as ``stages.0.constant.rate``: "constant" is the value
    of the stage's ``type``, not a key the user wrote. Walking the data tells the two apart.
    """
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _toml_problem(name: str, message: str) -> str:
    # tomllib's message ends in "(at line N, column M)"; the line goes where every other
    # problem's line goes, ``file:line``.
    match = _AT.search(message)
    if match is None:
        return f"{name}: not valid TOML: {message}; fix the TOML syntax"
    why = message[: match.start()]
    return f"{name}:{match[1]}: not valid TOML: {why} at column {match[2]}; fix the TOML there"


def _numbered(text: str) -> Iterator[tuple[int, str]]:
    """Lines as an editor and tomllib number them: only ``\\n`` ends one (``str.splitlines``
    also splits at U+2028, U+0085 and others, which TOML allows inside strings)."""
    return enumerate(text.split("\n"), start=1)


def _index_lines(text: str) -> dict[FieldPath, int]:
    lines: dict[FieldPath, int] = {}
    table: FieldPath = ()
    array_counts: dict[FieldPath, int] = {}
    in_string = False
    for number, raw in _numbered(text):
        # A multi-line string's lines are text, not keys: a "[load]" inside one sets nothing.
        # (An odd count of quote triples opens or closes one; escaped triples are not seen.)
        was_in_string = in_string
        if (raw.count('"""') + raw.count("'''")) % 2:
            in_string = not in_string
        if was_in_string:
            continue
        header = _HEADER.match(raw)
        if header:
            keys = _split_key(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(keys, -1) + 1
                array_counts[keys] = index
                lines.setdefault(keys, number)
                table = (*keys, index)
            else:
                table = keys
            lines.setdefault(table, number)
            continue
        key = _KEY.match(raw)
        if key:
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines
