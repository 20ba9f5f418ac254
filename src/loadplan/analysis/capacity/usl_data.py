"""(N, X) CSV files as R's usl and usl4j take them: a header, then one row per measurement.

The format::

    # comment lines (first non-blank character '#') and blank lines are skipped anywhere
    N,X
    1,955.16
    2,1878.91

Which columns. Header names are compared case-insensitively, without surrounding spaces and
without a trailing unit in parentheses or brackets ("X (req/s)" is "x"). The load column is the
one named ``N``, else the first named one of ``LOAD_NAMES`` (load, concurrency, users, ...); the
throughput column is the one named ``X``, else the first of ``THROUGHPUT_NAMES`` (throughput,
rps, qps, ...). A file of exactly two columns whose names say neither is read as N, X in that
order (as usl4j and codahale/usl read theirs). Other columns are ignored.

Each problem is one line naming the file, the line and the fix, raised as CapacityError.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from loadplan.analysis.capacity.usl import MIN_LEVELS, check_levels
from loadplan.errors import CapacityError

LOAD_NAMES = ("n", "load", "concurrency", "users", "clients", "threads", "processors", "workers")
THROUGHPUT_NAMES = ("x", "throughput", "tput", "rate", "rps", "qps", "tps")

_UNIT = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_HINT = "write a header line N,X above one line per measurement, e.g. 8,1234.5"


@dataclass(frozen=True, slots=True)
class UslData:
    """Measurements read from one CSV file.

    Attributes:
        path: the file.
        n, x: load and throughput per row, in file order.
        lines: the 1-based line number of each row (for messages about a row).
        n_column, x_column: the header names the values came from.
    """

    path: Path
    n: tuple[float, ...]
    x: tuple[float, ...]
    lines: tuple[int, ...]
    n_column: str
    x_column: str


def read_usl_csv(path: Path, *, min_levels: int = MIN_LEVELS) -> UslData:
    """Read ``path``; CapacityError (one line: file:line and the fix) on anything unusable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        msg = f"{path}: no such file; give an (N, X) CSV file"
        raise CapacityError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read it ({exc}); give a UTF-8 (N, X) CSV file"
        raise CapacityError(msg) from None
    rows = [
        (number, cells)
        for number, cells in _rows(text)
        if cells and any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#")
    ]
    if not rows:
        msg = f"{path}: empty file (no header, no rows); {_HINT}"
        raise CapacityError(msg)
    header_line, header = rows[0]
    n_at, x_at = _columns(path, header_line, header)
    width = len(header)
    loads: list[float] = []
    throughputs: list[float] = []
    lines: list[int] = []
    for number, cells in rows[1:]:
        if len(cells) != width:
            msg = (
                f"{path}:{number}: {len(cells)} cells, the header has {width}; "
                f"write one value per column ({', '.join(c.strip() for c in header)})"
            )
            raise CapacityError(msg)
        loads.append(_value(path, number, "N", cells[n_at], "load"))
        throughputs.append(_value(path, number, "X", cells[x_at], "throughput"))
        lines.append(number)
    try:
        check_levels(loads, min_levels)
    except CapacityError as exc:
        raise CapacityError(f"{path}: {exc}") from None
    return UslData(
        path,
        tuple(loads),
        tuple(throughputs),
        tuple(lines),
        header[n_at].strip(),
        header[x_at].strip(),
    )


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) per physical line; quoted newlines are not part of this format."""
    return [(i, next(csv.reader([line]), [])) for i, line in enumerate(text.splitlines(), 1)]


def _name(cell: str) -> str:
    return _UNIT.sub("", cell.strip()).strip().lower()


def _columns(path: Path, line: int, header: list[str]) -> tuple[int, int]:
    names = [_name(c) for c in header]
    if any(_is_number(c) for c in header):
        msg = f"{path}:{line}: the first line is data ({','.join(header)}), not a header; {_HINT}"
        raise CapacityError(msg)
    n_at = _find(names, LOAD_NAMES)
    x_at = _find(names, THROUGHPUT_NAMES)
    if len(header) == 2 and (n_at, x_at) in ((None, None), (0, None), (None, 1)):
        n_at, x_at = 0, 1
    if n_at is None or x_at is None or n_at == x_at:
        want = "N (load)" if n_at is None else "X (throughput)"
        msg = (
            f"{path}:{line}: no {want} column among {', '.join(c.strip() for c in header)}; "
            "name the columns N and X"
        )
        raise CapacityError(msg)
    return n_at, x_at


def _find(names: list[str], wanted: tuple[str, ...]) -> int | None:
    for name in wanted:
        if name in names:
            return names.index(name)
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _value(path: Path, line: int, column: str, cell: str, what: str) -> float:
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        msg = f"{path}:{line}: {column} = {text!r} is not a number; write the {what} as a decimal"
        raise CapacityError(msg) from None
    if not math.isfinite(value):
        msg = f"{path}:{line}: {column} = {text}: the {what} must be a finite number"
        raise CapacityError(msg)
    if value <= 0:
        msg = (
            f"{path}:{line}: {column} = {text}: the {what} must be > 0 "
            "(leave out rows measured at no load or with no throughput)"
        )
        raise CapacityError(msg)
    return value
