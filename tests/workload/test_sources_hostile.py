"""Hostile query files (text, CSV, TSV, JSON lines): any bytes end in a table every request can
be built from, or in one line naming the file, its line and the fix."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loadplan.errors import PlanError
from loadplan.languages import is_lang_tag
from loadplan.workload.sources import QueryTable, read_queries
from tests.support.hostile import check_problems, line_count

SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl")


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def outcome(path: Path, data: bytes) -> QueryTable | PlanError:
    path.write_bytes(data)
    try:
        table = read_queries(path)
    except PlanError as exc:
        check_problems(exc, str(path), line_count(data))
        return exc
    check_table(table)
    return table


def check_table(table: QueryTable) -> None:
    """What the sampler and the request template rely on."""
    assert len(table) > 0
    for query in table.columns["query"]:
        assert query.strip() == query != ""
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in query)
    for values in table.columns.values():
        for value in values:
            value.encode("utf-8")  # a lone surrogate would fail here, mid-run
    for lang in table.langs:
        assert lang is None or is_lang_tag(lang)
        assert lang is None or (lang.isascii() and lang.strip() == lang)
    if table.weights is not None:
        assert all(math.isfinite(w) and w >= 0 for w in table.weights)
        assert math.isfinite(float(table.weights.sum()))
        assert table.weights.sum() > 0


# Pieces real files are made of, and the ones that break readers.
FRAGMENTS = st.sampled_from(
    [
        "query", "weight", "lang", "q", ",", "\t", '"', '""', "{", "}", "[", "]", ":", "null",
        "true", "1", "-1", "0", "1e308", "1e999", "NaN", "Infinity", "en", "pt-BR", "en\\n",
        "\\ud800", "\\u0000", "\x00", "\x01", "\x0c", "\x1e", "\x85", "\u2028", "\ufeff",
        "日本語", "кошка", " ", "\r",
    ]
)  # fmt: skip
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\n\n", "\u2028", "\x0c", "\x0b", ""])
TEXTISH = st.lists(
    st.tuples(st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=6), LINE_ENDS),
    max_size=8,
).map(lambda lines: "".join("".join(parts) + end for parts, end in lines))


@given(
    suffix=st.sampled_from(SUFFIXES),
    data=st.one_of(
        st.binary(max_size=200),
        TEXTISH.map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    ),
)
@example(suffix=".jsonl", data=b'{"query": "a", "weight": ' + b"1" * 5000 + b"}\n")
@example(suffix=".jsonl", data=b"[" * 100_000)
@example(suffix=".csv", data=b"query,weight\na,1e308\nb,1e308\n")
def test_any_bytes_give_a_usable_table_or_one_line(folder: Path, suffix: str, data: bytes) -> None:
    outcome(folder / f"q{suffix}", data)


def _json_value() -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["en", "", " ", "en\n", "x\ud800", "\x00"]),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=2), max_leaves=4)


ROW = st.fixed_dictionaries(
    {},
    optional={
        "query": _json_value(),
        "weight": _json_value(),
        "lang": _json_value(),
        "x": _json_value(),
    },
)


@given(rows=st.lists(ROW, min_size=1, max_size=5))
def test_json_rows_with_hostile_values(folder: Path, rows: list[dict[str, object]]) -> None:
    # json.dumps writes NaN, Infinity and lone surrogates (as \ud800), as real files do.
    text = "".join(json.dumps(row) + "\n" for row in rows)
    outcome(folder / "rows.jsonl", text.encode())


_PRINTABLE = st.text(st.characters(exclude_categories=["Cc", "Cs"]))
GOOD_TEXT = st.builds(
    lambda a, sep, b: f"q{a}{sep}{b}",
    _PRINTABLE,
    st.sampled_from(["\u2028", "\u2029", "\x85", "", " "]),
    _PRINTABLE,
)
"""A good query: printable text, often holding a character str.splitlines breaks at."""


@given(good=st.lists(GOOD_TEXT, max_size=6), kind=st.sampled_from(["text", "csv", "jsonl"]))
def test_the_bad_row_is_named_by_its_own_line(folder: Path, good: list[str], kind: str) -> None:
    if kind == "text":
        lines = [*good, "bad\x01"]
    elif kind == "csv":
        lines = ["query", *(json.dumps(g, ensure_ascii=False) for g in good), '"bad\x01"']
    else:
        lines = [json.dumps({"query": g}, ensure_ascii=False) for g in good]
        lines.append('{"query": ""}')
    suffix = {"text": ".txt", "csv": ".csv", "jsonl": ".jsonl"}[kind]
    data = "\n".join(lines).encode()
    result = outcome(folder / f"lines{suffix}", data)
    assert isinstance(result, PlanError)
    assert result.problems[0].startswith(f"{folder}/lines{suffix}:{len(lines)} query = ")


# --- the cases the properties found ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # json.loads raised a bare ValueError (int() refuses > 4300 digits): a traceback.
        (
            "q.jsonl",
            '{"query": "a", "weight": ' + "1" * 5000 + "}\n",
            ":1: JSON too big to read (a huge number or deep nesting); simplify it",
        ),
        # RecursionError from json.loads: a traceback.
        ("q.jsonl", "[" * 100_000 + "\n", ":1: JSON too big to read"),
        # float(int) raised OverflowError.
        ("q.jsonl", '{"query": "a", "weight": ' + "9" * 400 + "}\n", ":1 weight = 999"),
        # Accepted; the sampler then raised UnicodeEncodeError building the first request.
        ("q.jsonl", '{"query": "a\\ud800"}\n', ":1 query = 'a\\ud800': a lone surrogate"),
        # Accepted as a language tag ("$" matches before a final newline); sent as lang=en%0A.
        ("q.jsonl", '{"query": "a", "lang": "en\\n"}\n', ":1 lang = 'en\\n': not a language tag"),
        # Accepted; the sampler's probabilities became NaN (inf / inf).
        ("q.csv", "query,weight\na,1e308\nb,1e308\n", ": the weights add up past 1e308; scale"),
        # U+2028 inside a JSON string is valid JSON; splitlines cut the row in two.
        ("q.jsonl", '{"query": "a\u2028b"}\n{"query": ""}\n', ":2 query = '': empty or not"),
        # A form feed counted as a line end: the bad row was named as line 3.
        ("q.txt", "a\x0cb\n\x00\n", ":1 query = 'a\\x0cb': contains a control character"),
        # A 10 MB line was quoted whole in the message.
        ("q.txt", "x" * 10_000_000 + "\x01\n", ":1 query = 'xxxxxxxxxx"),
    ],
    ids=[
        "int-over-4300-digits",
        "deep-nesting",
        "weight-int-past-1e308",
        "lone-surrogate",
        "lang-with-newline",
        "weights-sum-to-inf",
        "u2028-in-json-string",
        "form-feed-line-count",
        "10mb-line",
    ],
)
def test_found_cases(folder: Path, name: str, content: str, expected: str) -> None:
    path = folder / name
    result = outcome(path, content.encode())
    assert isinstance(result, PlanError)
    assert result.problems[0].startswith(f"{path}{expected}"), result.problems[0][:200]


def test_a_valid_u2028_query_is_kept_whole(folder: Path) -> None:
    result = outcome(folder / "ok.jsonl", '{"query": "a\u2028b"}\n'.encode())
    assert isinstance(result, QueryTable)
    assert result.columns["query"] == ("a\u2028b",)
