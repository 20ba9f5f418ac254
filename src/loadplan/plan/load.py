"""Build a ``Plan`` from a plan file and/or CLI options, with errors that say where and how to fix.

CLI options override the file. A problem in a value that came from the command line is reported
against its option (``--rate``), one that came from the file against ``file:line field``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from loadplan.errors import PlanError
from loadplan.plan.checks import check_plan
from loadplan.plan.model import Plan
from loadplan.plan.source import PlanSource, describe_validation_error, format_field

Overrides = Mapping[tuple[str, ...], tuple[str, Any]]
"""field path -> (option name as typed, value); only options the user actually gave."""


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def load_plan(path: Path | None, overrides: Overrides) -> tuple[Plan, PlanSource | None]:
    """Validate the file's data with ``overrides`` applied; PlanError lists every problem."""
    source = PlanSource.read(path) if path is not None else None
    data: dict[str, Any] = dict(source.data) if source else {}
    for field_path, (_, value) in overrides.items():
        _set(data, field_path, value)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        described = describe_validation_error(exc, source)
        problems = [
            _against_option(line, problem, overrides, source)
            for line, problem in zip(described, exc.errors(), strict=True)
        ]
        raise PlanError(problems) from None
    problems = check_plan(plan, source)
    if problems:
        raise PlanError(problems)
    return plan, source


_OPTION_FOR = {("target",): "--url", ("target", "url"): "--url", ("load", "rate"): "--rate"}


def _against_option(
    line: str, problem: Any, overrides: Overrides, source: PlanSource | None
) -> str:
    loc = tuple(str(p) for p in problem["loc"])
    msg = str(problem["msg"]).removeprefix("Value error, ")
    for field_path, (option, value) in overrides.items():
        if loc[: len(field_path)] == field_path:
            return f"{option} {value!r}: {msg}"
    if source is None and problem["type"] == "missing":
        option = _OPTION_FOR.get(loc, "")
        hint = f"pass {option} or give a plan file" if option else "give it in a plan file"
        return f"{format_field(loc)}: missing; {hint}"
    return line
