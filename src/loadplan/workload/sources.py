"""User query files: plain text, CSV (or TSV) and JSON lines, read into one ``QueryTable``.

* text: one query per line; blank lines are skipped. Lines are ranked in file order (the first
  line is the most popular) and the plan's popularity model gives them their shares.
* CSV / TSV: a header row naming the columns; ``query`` is required, ``weight`` and ``lang`` are
  optional, every other column can be used in the request template as ``{column}``.
* JSON lines: one object per line with the same keys. A row without ``weight`` weighs 1.

Weights, when the file has them, are the popularity: a query with weight 30 is sent three times as
often as one with weight 10. Rows that repeat another row exactly (all columns) are merged, their
weights added, so "distinct queries" means distinct requests. Every problem names ``file:line``,
the field, the value and the fix; nothing is skipped silently.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loadplan.errors import PlanError, shown
from loadplan.languages import is_lang_tag

FileFormat = Literal["auto", "text", "csv", "jsonl"]

_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_LINE_END = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A JSON "\ud800" escape decodes to a lone surrogate, which no request can be encoded with.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True, eq=False)
class QueryTable:
    """Distinct rows of a query file, in file order.

    Attributes:
        name: the file, for messages.
        columns: column name to one value per row; always has ``query``.
        weights: one weight >= 0 per row, or None when the file gives no weights.
        langs: the language of each row, None where unknown.
        lines: the line each row starts on.
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    weights: npt.NDArray[np.float64] | None
    langs: tuple[str | None, ...]
    lines: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.lines)


def read_queries(
    path: Path,
    fmt: FileFormat = "auto",
    *,
    lang: str | None = None,
    query_column: str = "query",
    weight_column: str = "weight",
    lang_column: str = "lang",
) -> QueryTable:
    """Read a query file; ``lang`` is the language of rows that do not name one.

    Raises PlanError naming ``file:line``, the field and the fix for anything it cannot use.

    Example::

        table = read_queries(Path("examples/workloads/queries.csv"))
        table.columns["query"][:2], table.weights[:2]
    """
    kind = fmt if fmt != "auto" else _EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        msg = (
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "set source.format to text, csv or jsonl"
        )
        raise PlanError(msg)
    text = _read_text(path)
    rows = _Rows(str(path), lang, weight_column, lang_column)
    if kind == "text":
        for number, line in _numbered(text):
            rows.add(number, {"query": line.strip()}, query_column="query")
    elif kind == "csv":
        _read_csv(path, text, rows, query_column)
    else:
        for number, line in _numbered(text):
            rows.add(number, _json_object(str(path), number, line), query_column)
    return rows.table(kind)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        msg = f"{path}: no such file; check source.path (relative to the plan's directory)"
        raise PlanError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read it ({exc.strerror}); check source.path and its permissions"
        raise PlanError(msg) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8"
        raise PlanError(msg) from None


def file_lines(text: str) -> list[str]:
    """The lines of a data file as an editor numbers them: ``\\n``, ``\\r\\n`` or ``\\r`` ends one.

    ``str.splitlines`` also splits at form feeds, U+0085, U+2028 and others: a query holding
    one would be cut in two and every line after it named one too far on.
    """
    lines = _LINE_END.split(text)
    if lines[-1] == "":  # the newline ends the last line; it does not start another
        lines.pop()
    return lines


def _numbered(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(file_lines(text), start=1):
        if line.strip():
            yield number, line


def _json_object(name: str, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        msg = f"{name}:{number}: not valid JSON ({exc.msg}); write one JSON object per line"
        raise PlanError(msg) from None
    except (ValueError, RecursionError):  # an int of over 4300 digits; nesting past the stack
        msg = f"{name}:{number}: JSON too big to read (a huge number or deep nesting); simplify it"
        raise PlanError(msg) from None
    if not isinstance(value, dict):
        kind = type(value).__name__
        msg = f'{name}:{number}: a JSON {kind}; write an object like {{"query": "..."}}'
        raise PlanError(msg)
    return value


def _read_csv(path: Path, text: str, rows: _Rows, query_column: str) -> None:
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.reader(file_lines(text), dialect=dialect)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        msg = f"{path}:1: not valid CSV ({exc}); check the quoting of the header row"
        raise PlanError(msg) from None
    if header is None:
        msg = (
            f"{path}: empty file; write a header row (query[,weight][,lang]) and one row per query"
        )
        raise PlanError(msg)
    header = [h.strip() for h in header]
    if query_column not in header:
        msg = (
            f"{path}:1 header = {shown(','.join(header))}: no {query_column!r} column; "
            f"name the query column {query_column!r} or set source.query_column"
        )
        raise PlanError(msg)
    try:
        for fields in reader:
            number = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                msg = (
                    f"{path}:{number}: {len(fields)} fields but the header has {len(header)}; "
                    "quote fields that contain the delimiter"
                )
                raise PlanError(msg)
            rows.add(number, dict(zip(header, fields, strict=True)), query_column)
    except csv.Error as exc:
        msg = f"{path}:{reader.line_num}: not valid CSV ({exc}); check the quoting on that line"
        raise PlanError(msg) from None


class _Rows:
    """Collects validated rows, merging exact repeats; private to ``read_queries``."""

    def __init__(self, name: str, lang: str | None, weight_column: str, lang_column: str):
        self.name = name
        self.default_lang = lang
        self.weight_column = weight_column
        self.lang_column = lang_column
        self.index: dict[tuple[Any, ...], int] = {}
        self.records: list[tuple[int, dict[str, str], str | None]] = []
        self.weights: list[float] = []
        self.has_weights = False

    def add(self, number: int, raw: dict[str, Any], query_column: str) -> None:
        where = f"{self.name}:{number}"
        query = raw.get(query_column)
        if not isinstance(query, str) or not query.strip():
            msg = (
                f"{where} {query_column} = {shown(query)}: empty or not text; fix or remove the row"
            )
            raise PlanError(msg)
        if _CONTROL.search(query):
            msg = (
                f"{where} {query_column} = {shown(query)}: contains a control character; remove it"
            )
            raise PlanError(msg)
        weight = 1.0
        if self.weight_column in raw:
            self.has_weights = True
            weight = _weight(where, self.weight_column, raw[self.weight_column])
        lang = raw.get(self.lang_column)
        if lang is None or lang == "":
            lang = self.default_lang
        elif not isinstance(lang, str) or not is_lang_tag(lang):
            field = self.lang_column
            msg = f"{where} {field} = {shown(lang)}: not a language tag; write e.g. en, ja or pt-BR"
            raise PlanError(msg)
        columns = {
            k: _text(v) for k, v in raw.items() if k not in (self.weight_column, self.lang_column)
        }
        columns["query"] = query.strip()
        for name, value in columns.items():
            if _SURROGATE.search(value):
                msg = (
                    f"{where} {name} = {shown(value)}: a lone surrogate (an unpaired "
                    "\\ud800-\\udfff escape), which is not text; fix or remove it"
                )
                raise PlanError(msg)
        key = (lang, *sorted(columns.items()))
        if key in self.index:
            self.weights[self.index[key]] += weight
            return
        self.index[key] = len(self.records)
        self.records.append((number, columns, lang))
        self.weights.append(weight)

    def table(self, kind: str) -> QueryTable:
        if not self.records:
            what = "one query per line" if kind == "text" else "rows under the header"
            msg = f"{self.name}: no queries; add {what}"
            raise PlanError(msg)
        weights = np.asarray(self.weights, dtype=np.float64)
        if self.has_weights and not math.isfinite(sum(self.weights)):  # fsum raises instead
            field = self.weight_column
            msg = (
                f"{self.name}: the {field}s add up past 1e308; scale them down (they are relative)"
            )
            raise PlanError(msg)
        if self.has_weights and not weights.any():
            field = self.weight_column
            msg = f"{self.name}: every {field} is 0; give at least one query a weight > 0"
            raise PlanError(msg)
        names = list(dict.fromkeys(k for _, columns, _ in self.records for k in columns))
        return QueryTable(
            name=self.name,
            columns={n: tuple(c.get(n, "") for _, c, _ in self.records) for n in names},
            weights=weights if self.has_weights else None,
            langs=tuple(lang for _, _, lang in self.records),
            lines=tuple(number for number, _, _ in self.records),
        )


def _weight(where: str, field: str, value: Any) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        msg = (
            f"{where} {field} = {shown(value)}: not a number; "
            "write a number >= 0 (relative popularity)"
        )
        raise PlanError(msg)
    if number < 0:
        msg = (
            f"{where} {field} = {shown(value)}: negative; "
            "weights are relative popularity, write >= 0"
        )
        raise PlanError(msg)
    return number


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
