"""Access-log replay: read recorded requests from Common / Combined Log Format or JSON lines.

Two ways to use a log (``source.mode``):

* ``mix``: the recorded requests become a weighted pool (weight = how often each distinct
  request appears) and are sampled at the plan's rate, like any other query source.
* ``timing``: the recorded sequence is sent in order at the recorded times, optionally sped up
  (``speed = 2`` halves every gap). ``arrival_offsets`` gives the due time of request i in seconds
  from the first, for the engine's scheduler to use instead of its rate function.

Real logs have junk in them (health checks with ``-`` as request, truncated lines, binary probes).
By default a malformed line is counted and skipped, and the caller shows one summary warning;
``strict`` fails on the first one instead, naming its line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
import numpy.typing as npt

from loadplan.errors import PlanError, shown
from loadplan.languages import is_lang_tag
from loadplan.workload.sources import QueryTable, file_lines

LogFormat = Literal["auto", "common", "combined", "jsonl"]

# Combined is Common plus quoted referer and user agent; both parse with one pattern, and
# anything after (nginx adds fields) is ignored.
_CLF = re.compile(
    r'^\S+ \S+ (?:\S+|"[^"]*") \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>\d{3}|-) (?:\d+|-)"
)
_CLF_TIME = re.compile(r"^(\d{2})/(\w{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_METHOD = re.compile(r"^[A-Z]{3,10}$")
# Controls, spaces, undecodable bytes (surrogateescape) and lone surrogates from JSON escapes.
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f\ud800-\udfff]")
# Characters a target may carry as they are; anything else (raw UTF-8 in nginx logs) is encoded.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True, slots=True, eq=False)
class LogRecords:
    """The usable requests of an access log, in file order.

    Attributes:
        name: the file, for messages.
        methods: HTTP method of each request.
        targets: origin-form request-target (path and query, as recorded) of each request.
        times: seconds since the epoch of each request, or None when not asked for.
        lines: the line each request is on.
        skipped: how many malformed lines were skipped.
        first_problem: ``file:line: why`` of the first skipped line.
    """

    name: str
    methods: tuple[str, ...]
    targets: tuple[str, ...]
    times: npt.NDArray[np.float64] | None
    lines: tuple[int, ...]
    skipped: int = 0
    first_problem: str | None = None

    def offsets(self, speed: float = 1.0) -> npt.NDArray[np.float64]:
        """Due time of each request in time order (see ``arrival_offsets``); needs ``times``."""
        if self.times is None:
            msg = f"{self.name}: read without timestamps; read it with need_times=True"
            raise ValueError(msg)
        return arrival_offsets(self.times, speed)

    def warning(self) -> str | None:
        """One line summing up the skipped lines, or None if nothing was skipped."""
        if not self.skipped:
            return None
        total = self.skipped + len(self.lines)
        return (
            f"{self.name}: skipped {self.skipped} of {total} lines that are not usable log lines "
            f"(first: {self.first_problem}); set source.strict = true to fail on them instead"
        )


def read_log(
    path: Path,
    fmt: LogFormat = "auto",
    *,
    strict: bool = False,
    need_times: bool = False,
    timestamp_field: str = "timestamp",
    url_field: str = "url",
    method_field: str = "method",
) -> LogRecords:
    """Read an access log. Timestamps are parsed only when ``need_times`` (timing replay).

    Example::

        records = read_log(Path("access.log"), need_times=True)
        arrival_offsets(records.times, speed=2.0)
    """
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        msg = f"{path}: no such access log; check source.path (relative to the plan's directory)"
        raise PlanError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read it ({exc.strerror}); check source.path and its permissions"
        raise PlanError(msg) from None
    kind = fmt if fmt != "auto" else _sniff(path, text)
    methods: list[str] = []
    targets: list[str] = []
    times: list[float] = []
    lines: list[int] = []
    skipped, first = 0, None
    for number, line in enumerate(file_lines(text), start=1):
        if not line.strip():
            continue
        try:
            if kind == "jsonl":
                method, target, when = _jsonl_line(
                    line, need_times, timestamp_field, url_field, method_field
                )
            else:
                method, target, when = _clf_line(line, need_times)
        except ValueError as exc:
            if strict:
                msg = (
                    f"{path}:{number}: {exc}; fix the line or set source.strict = false to skip it"
                )
                raise PlanError(msg) from None
            skipped += 1
            first = first or f"{path}:{number}: {exc}"
            continue
        methods.append(method)
        targets.append(target)
        times.append(when)
        lines.append(number)
    if not lines:
        why = f"all {skipped} lines are malformed, first {first}" if skipped else "it is empty"
        msg = f"{path}: no usable requests ({why}); give a {kind} access log"
        raise PlanError(msg)
    return LogRecords(
        name=str(path),
        methods=tuple(methods),
        targets=tuple(targets),
        times=np.asarray(times, dtype=np.float64) if need_times else None,
        lines=tuple(lines),
        skipped=skipped,
        first_problem=first,
    )


def arrival_offsets(times: npt.NDArray[np.float64], speed: float = 1.0) -> npt.NDArray[np.float64]:
    """Due time of each request in seconds from the first, in time order, gaps divided by speed."""
    if speed <= 0:
        msg = f"speed = {speed!r}: must be > 0 (2 replays twice as fast)"
        raise ValueError(msg)
    ordered = np.sort(times, kind="stable")
    return np.asarray((ordered - ordered[0]) / speed, dtype=np.float64)


def log_table(
    records: LogRecords, query_param: str = "q", lang_param: str = "lang"
) -> tuple[QueryTable, npt.NDArray[np.int64]]:
    """Distinct requests of a log weighted by count, and the row of each record (in time order).

    Columns: ``method``, ``target`` (as recorded), ``path`` (decoded), ``query`` and ``lang``
    (the decoded values of ``query_param`` and ``lang_param``, empty when absent).
    """
    order = (
        np.argsort(records.times, kind="stable")
        if records.times is not None
        else np.arange(len(records.lines))
    )
    index: dict[tuple[str, str], int] = {}
    counts: list[float] = []
    first_lines: list[int] = []
    rows = np.empty(len(order), dtype=np.int64)
    for position, record in enumerate(order.tolist()):
        key = (records.methods[record], records.targets[record])
        row = index.get(key)
        if row is None:
            row = index[key] = len(counts)
            counts.append(0.0)
            first_lines.append(records.lines[record])
        counts[row] += 1.0
        rows[position] = row
    columns: dict[str, list[str]] = {"method": [], "target": [], "path": [], "query": []}
    langs: list[str | None] = []
    for method, target in index:
        parts = urlsplit(target)
        params = parse_qs(parts.query, keep_blank_values=True)
        lang = params.get(lang_param, [""])[0]
        columns["method"].append(method)
        columns["target"].append(target)
        columns["path"].append(unquote(parts.path))
        columns["query"].append(params.get(query_param, [""])[0])
        langs.append(lang if is_lang_tag(lang) else None)
    table = QueryTable(
        name=records.name,
        columns={name: tuple(values) for name, values in columns.items()},
        weights=np.asarray(counts, dtype=np.float64),
        langs=tuple(langs),
        lines=tuple(first_lines),
    )
    return table, rows


def _sniff(path: Path, text: str) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    first = next((line for line in file_lines(text) if line.strip()), "")
    return "jsonl" if first.lstrip().startswith("{") else "common"


def _clf_line(line: str, need_times: bool) -> tuple[str, str, float]:
    match = _CLF.match(line)
    if match is None:
        msg = "not a Common/Combined Log Format line"
        raise ValueError(msg)
    parts = match.group("request").replace('\\"', '"').split(" ")
    if len(parts) not in (2, 3):
        msg = f"request {shown(match.group('request'))} is not 'METHOD target HTTP/x'"
        raise ValueError(msg)
    when = _clf_time(match.group("time")) if need_times else 0.0
    return _method(parts[0]), _target(parts[1]), when


def _jsonl_line(
    line: str, need_times: bool, timestamp_field: str, url_field: str, method_field: str
) -> tuple[str, str, float]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON ({exc.msg})"
        raise ValueError(msg) from None
    except (ValueError, RecursionError):  # an int of over 4300 digits; nesting past the stack
        msg = "JSON too big to read (a huge number or deep nesting)"
        raise ValueError(msg) from None
    if not isinstance(value, dict):
        msg = f"a JSON {type(value).__name__}, not an object"
        raise ValueError(msg)
    url = value.get(url_field)
    if not isinstance(url, str):
        fields = shown(", ".join(sorted(value)) or "none").strip("'\"")
        msg = f"no {url_field!r} string (fields: {fields}); set source.url_field"
        raise ValueError(msg)
    method = value.get(method_field, "GET")
    when = 0.0
    if need_times:
        if timestamp_field not in value:
            msg = f"no {timestamp_field!r} field; set source.timestamp_field"
            raise ValueError(msg)
        when = _json_time(value[timestamp_field])
    return _method(str(method)), _target(url), when


def _method(method: str) -> str:
    if not _METHOD.fullmatch(method.upper()):  # fullmatch: "$" would let "GET\n" through
        msg = f"method {shown(method)} is not an HTTP method"
        raise ValueError(msg)
    return method.upper()


def _target(url: str) -> str:
    """Origin-form target: an absolute URL loses its scheme and host; anything else is refused."""
    bad = f"target {shown(url)} is not a path like /search?q=..."
    if url.startswith(("http://", "https://")):
        try:
            parts = urlsplit(url)
        except ValueError:  # "Invalid IPv6 URL": a bracket in the host
            raise ValueError(bad) from None
        url = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not url.startswith("/") or _BAD_TARGET.search(url):
        raise ValueError(bad)
    return quote(url, safe=_TARGET_SAFE)


def _clf_time(text: str) -> float:
    match = _CLF_TIME.match(text)
    if match is None or match.group(2) not in _MONTHS:
        msg = f"time {shown(text)} is not like 10/Oct/2000:13:55:36 -0700"
        raise ValueError(msg)
    day, month, year, hh, mm, ss, sign, oh, om = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    zone = timezone(offset)
    stamp = datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss), tzinfo=zone)
    return stamp.timestamp()


def _json_time(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # JSON has Infinity, NaN and ints past 1e308; a due time of inf or nan would make the
        # replay wait forever, so a number must be a time datetime can hold (years 1-9999).
        if not _EPOCH_MIN <= value <= _EPOCH_MAX:
            msg = f"timestamp {shown(value)} is not a time in years 1-9999 (seconds since 1970)"
            raise ValueError(msg)
        return float(value)
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            return _clf_time(value)
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    msg = f"timestamp {shown(value)} is neither seconds since the epoch nor an ISO 8601 time"
    raise ValueError(msg)


_EPOCH_MIN = datetime(1, 1, 2, tzinfo=UTC).timestamp()
_EPOCH_MAX = datetime(9999, 12, 30, tzinfo=UTC).timestamp()
