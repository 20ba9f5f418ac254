"""What every hostile-input property checks of an error: one line each, naming the file, a line
that exists, and (for data files) the fix, short enough to read."""

from __future__ import annotations

import re

from loadplan.errors import PlanError

MAX_EXTRA = 300
"""Characters a problem line may have besides the file name (values are cut by ``shown``)."""


def check_problems(error: PlanError, name: str, line_count: int, *, fix: bool = True) -> None:
    """Each problem is one line starting with ``name`` (``name:N`` with 1 <= N <= line_count);
    with ``fix``, it says what to do after a ``; ``."""
    assert error.problems, "a PlanError without a problem"
    for problem in error.problems:
        # splitlines: the CLI prints one "loadplan: error:" line per piece it splits off.
        assert problem.splitlines() == [problem], f"not one line: {problem!r}"
        assert problem.startswith(name), f"does not name {name}: {problem!r}"
        assert len(problem) <= len(name) + MAX_EXTRA, f"{len(problem)} characters: {problem!r}"
        line = re.match(r":(\d+)", problem[len(name) :])
        if line is not None:
            assert 1 <= int(line[1]) <= max(line_count, 1), f"no such line: {problem!r}"
        if fix:
            assert "; " in problem, f"no fix after '; ': {problem!r}"


def line_count(data: bytes) -> int:
    """Lines as an editor numbers them (a last line without its newline counts)."""
    return data.count(b"\n") + 1
