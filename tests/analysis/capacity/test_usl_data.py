"""Reading (N, X) CSV files: what is accepted, and the one-line message for what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadplan.analysis.capacity.usl_data import read_usl_csv
from loadplan.errors import CapacityError

DATA = Path(__file__).parent / "data" / "usl"
SIX = "1,10\n2,19\n4,35\n8,60\n16,85\n32,95\n"


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("specsdm91.csv", 7),
        ("specsdm91_rounded.csv", 7),
        ("raytracer.csv", 11),
        ("cisco_schwartz.csv", 32),
        ("usl_test_synthetic.csv", 6),
        ("usl_test_reqrate.csv", 8),
        ("oracledb.csv", 360),
    ],
)
def test_reads_the_published_data_sets(name: str, rows: int) -> None:
    data = read_usl_csv(DATA / name)
    assert len(data.n) == len(data.x) == len(data.lines) == rows
    assert (data.n_column, data.x_column) == ("N", "X")


@pytest.mark.parametrize(
    ("text", "columns", "first"),
    [
        pytest.param("N,X\n" + SIX, ("N", "X"), (1.0, 10.0), id="plain"),
        pytest.param("n,x\n" + SIX, ("n", "x"), (1.0, 10.0), id="lower-case"),
        pytest.param(
            "# a comment\n\n  # indented comment, with a comma\nN,X\n\n"
            + SIX.replace("\n", "\n\n"),
            ("N", "X"),
            (1.0, 10.0),
            id="comments-and-blank-lines",
        ),
        pytest.param("\ufeffN,X\n" + SIX, ("N", "X"), (1.0, 10.0), id="byte-order-mark"),
        pytest.param(" N , X \n" + SIX.replace(",", " , "), ("N", "X"), (1.0, 10.0), id="spaces"),
        pytest.param(
            "p95_ms,Throughput (req/s),Users\n"
            + "".join(f"120,{x},{n}\n" for n, x in (r.split(",") for r in SIX.split())),
            ("Users", "Throughput (req/s)"),
            (1.0, 10.0),
            id="named-columns-with-units",
        ),
        pytest.param("procs,speed\n" + SIX, ("procs", "speed"), (1.0, 10.0), id="two-unnamed"),
        pytest.param("clients,x\n" + SIX, ("clients", "x"), (1.0, 10.0), id="load-alias"),
        pytest.param('"N","X"\n' + SIX, ("N", "X"), (1.0, 10.0), id="quoted-header"),
    ],
)
def test_accepts(
    tmp_path: Path, text: str, columns: tuple[str, str], first: tuple[float, ...]
) -> None:
    path = tmp_path / "DATA.csv"
    path.write_text(text, encoding="utf-8")
    data = read_usl_csv(path)
    assert (data.n_column, data.x_column) == columns
    assert (data.n[0], data.x[0]) == first
    assert data.n == (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "N,X\n1,10\n2,19\n4,35\n8,60\n",
            "DATA.csv: 4 load levels; the USL fit needs at least 6 (add 2 more)",
            id="four-levels",
        ),
        pytest.param(
            "N,X\n1,10\n1,11\n2,19\n2,20\n4,35\n8,60\n16,80\n",
            "DATA.csv: 5 load levels; the USL fit needs at least 6 (add 1 more)",
            id="repeats-count-once",
        ),
        pytest.param(
            "N,X\n",
            "DATA.csv: 0 load levels; the USL fit needs at least 6 (add 6 more)",
            id="header-only",
        ),
        pytest.param(
            "# N,X\n\n1,10\n" + SIX,
            "DATA.csv:3: the first line is data (1,10), not a header; write a header line N,X",
            id="missing-header",
        ),
        pytest.param("", "DATA.csv: empty file (no header, no rows); write a header", id="empty"),
        pytest.param(
            "# only\n\n# comments\n", "DATA.csv: empty file (no header", id="only-comments"
        ),
        pytest.param(
            "N,X\n1,10\n2,19\n4,abc\n8,60\n16,85\n32,95\n",
            "DATA.csv:4: X = 'abc' is not a number; write the throughput as a decimal",
            id="non-numeric-x",
        ),
        pytest.param(
            "N,X\n1,10\n\n# gap\nfour,19\n",
            "DATA.csv:5: N = 'four' is not a number; write the load as a decimal",
            id="non-numeric-n-line-counts-comments",
        ),
        pytest.param(
            "N,X\n1,10\n-2,19\n",
            "DATA.csv:3: N = -2: the load must be > 0 (leave out rows measured at no load",
            id="negative-n",
        ),
        pytest.param(
            "N,X\n1,10\n2,0\n", "DATA.csv:3: X = 0: the throughput must be > 0", id="zero-x"
        ),
        pytest.param(
            "N,X\n1,nan\n", "DATA.csv:2: X = nan: the throughput must be a finite", id="nan"
        ),
        pytest.param("N,X\n1,10\n2\n", "DATA.csv:3: 1 cells, the header has 2", id="short-row"),
        pytest.param("N,X\n1,10\n2,19,7\n", "DATA.csv:3: 3 cells, the header has 2", id="long-row"),
        pytest.param(
            "when,p95,p99\n" + SIX,
            "DATA.csv:1: no N (load) column among when, p95, p99; name the columns N and X",
            id="unknown-columns",
        ),
        pytest.param(
            "users,p95,p99\n" + SIX,
            "DATA.csv:1: no X (throughput) column among users, p95, p99",
            id="no-throughput-column",
        ),
    ],
)
def test_refuses_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "DATA.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CapacityError) as caught:
        read_usl_csv(path)
    text_of = str(caught.value)
    assert text_of.startswith(f"{tmp_path}/{message}")
    assert "\n" not in text_of
    assert caught.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CapacityError, match=r"nope\.csv: no such file; give an \(N, X\) CSV"):
        read_usl_csv(tmp_path / "nope.csv")


def test_lines_point_at_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "DATA.csv"
    path.write_text("# c\nN,X\n\n" + SIX, encoding="utf-8")
    assert read_usl_csv(path).lines == (4, 5, 6, 7, 8, 9)
