"""Query files: text, CSV/TSV and JSON lines, and every way they can be wrong."""

from __future__ import annotations

import pytest

from loadplan.errors import PlanError
from loadplan.workload.sources import read_queries

from .conftest import WriteFile


@pytest.mark.parametrize(
    ("name", "content", "queries", "weights", "langs"),
    [
        pytest.param(
            "q.txt",
            "alpha\n\n  beta gamma  \nalpha\n",
            ["alpha", "beta gamma"],
            None,
            [None, None],
            id="text-skips-blanks-merges-repeats",
        ),
        pytest.param(
            "q.csv",
            "query,weight,lang\nalpha,3,en\nbeta,1.5,de\nalpha,2,en\n",
            ["alpha", "beta"],
            [5.0, 1.5],
            ["en", "de"],
            id="csv-merges-repeats-adding-weights",
        ),
        pytest.param(
            "q.csv",
            '\ufeffquery,lang\n"a, b",ja\nc,\n',
            ["a, b", "c"],
            None,
            ["ja", None],
            id="csv-bom-quoted-empty-lang",
        ),
        pytest.param(
            "q.tsv",
            "query\tweight\nalpha beta\t2\n",
            ["alpha beta"],
            [2.0],
            [None],
            id="tsv",
        ),
        pytest.param(
            "q.jsonl",
            '{"query": "alpha", "weight": 2, "lang": "en"}\n\n{"query": "beta", "lang": "pt-BR"}\n',
            ["alpha", "beta"],
            [2.0, 1.0],
            ["en", "pt-BR"],
            id="jsonl-missing-weight-is-1",
        ),
        pytest.param(
            "q.ndjson",
            '{"query": "日本語"}\n',
            ["日本語"],
            None,
            [None],
            id="ndjson-no-weights",
        ),
    ],
)
def test_reads(
    write_file: WriteFile,
    name: str,
    content: str,
    queries: list[str],
    weights: list[float] | None,
    langs: list[str | None],
) -> None:
    table = read_queries(write_file(name, content))
    assert list(table.columns["query"]) == queries
    assert (None if table.weights is None else table.weights.tolist()) == weights
    assert list(table.langs) == langs


def test_extra_columns_and_default_language(write_file: WriteFile) -> None:
    path = write_file("q.jsonl", '{"query": "a", "device": "mobile", "n": 3}\n{"query": "b"}\n')
    table = read_queries(path, lang="fr")
    assert table.columns["device"] == ("mobile", "")
    assert table.columns["n"] == ("3", "")
    assert table.langs == ("fr", "fr")
    assert table.lines == (1, 2)


def test_format_override_and_custom_columns(write_file: WriteFile) -> None:
    path = write_file("queries.data", "q;w\n")
    path.write_text("text,popularity,language\nhello,4,en\n", encoding="utf-8")
    table = read_queries(
        path, "csv", query_column="text", weight_column="popularity", lang_column="language"
    )
    assert table.columns["query"] == ("hello",)
    assert table.weights is not None
    assert table.weights.tolist() == [4.0]
    assert table.langs == ("en",)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param("q.txt", "", "q.txt: no queries; add one query per line", id="empty-text"),
        pytest.param("q.txt", "\n  \n", "q.txt: no queries", id="blank-text"),
        pytest.param("q.csv", "", "q.csv: empty file; write a header row", id="empty-csv"),
        pytest.param(
            "q.csv",
            "query,weight\n",
            "q.csv: no queries; add rows under the header",
            id="csv-header-only",
        ),
        pytest.param(
            "q.csv",
            "text,weight\na,1\n",
            "q.csv:1 header = 'text,weight': no 'query' column",
            id="csv-no-query-column",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,1\nb,2,x\n",
            "q.csv:3: 3 fields but the header has 2",
            id="csv-too-many-fields",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,1\nb,-2\n",
            "q.csv:3 weight = '-2': negative; weights are relative popularity, write >= 0",
            id="negative-weight",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,lots\n",
            "q.csv:2 weight = 'lots': not a number",
            id="weight-not-a-number",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,\n",
            "q.csv:2 weight = '': not a number",
            id="weight-empty",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,nan\n",
            "q.csv:2 weight = 'nan': not a number",
            id="weight-nan",
        ),
        pytest.param(
            "q.csv",
            "query,weight\na,0\nb,0\n",
            "q.csv: every weight is 0; give at least one query a weight > 0",
            id="all-zero",
        ),
        pytest.param(
            "q.csv",
            "query,lang\na,english\n",
            "q.csv:2 lang = 'english': not a language tag; write e.g. en, ja or pt-BR",
            id="bad-lang",
        ),
        pytest.param(
            "q.csv",
            "query,weight\nx,1\n  ,3\n",
            "q.csv:3 query = '  ': empty or not text",
            id="empty-query",
        ),
        pytest.param(
            "q.csv",
            'query\n"a\tb"\n',
            "q.csv:2 query = 'a\\tb': contains a control character",
            id="control-character",
        ),
        pytest.param(
            "q.jsonl",
            '{"query": "a"}\n{"query": "b",}\n',
            "q.jsonl:2: not valid JSON (Expecting property name",
            id="jsonl-bad-json",
        ),
        pytest.param(
            "q.jsonl",
            '["a"]\n',
            'q.jsonl:1: a JSON list; write an object like {"query": "..."}',
            id="jsonl-not-object",
        ),
        pytest.param(
            "q.jsonl",
            '{"text": "a"}\n',
            "q.jsonl:1 query = None: empty or not text",
            id="jsonl-no-query",
        ),
        pytest.param(
            "q.jsonl",
            '{"query": 5}\n',
            "q.jsonl:1 query = 5: empty or not text",
            id="jsonl-query-not-text",
        ),
        pytest.param(
            "q.jsonl",
            '{"query": "a", "weight": true}\n',
            "q.jsonl:1 weight = True: not a number",
            id="jsonl-weight-bool",
        ),
        pytest.param(
            "q.parquet",
            "x",
            "q.parquet: cannot tell the format from the extension '.parquet'",
            id="unknown-extension",
        ),
        pytest.param(
            "q.txt",
            b"ok\nbad \xff\n",
            "q.txt:2: not UTF-8 (byte 0xff); save the file as UTF-8",
            id="not-utf8",
        ),
    ],
)
def test_bad_files(write_file: WriteFile, name: str, content: str | bytes, expected: str) -> None:
    path = write_file(name, content)
    with pytest.raises(PlanError) as caught:
        read_queries(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path.parent}/"), caught.value.problems
    assert expected in caught.value.problems[0]


def test_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match=r"nope.csv: no such file; check source.path"):
        read_queries(tmp_path / "nope.csv")
