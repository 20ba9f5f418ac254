"""What a verdict is: a table of rows, each judged or only reported, and an exit code.

``slo.py`` fills the table from the plan's objectives; other parts add rows of their own (the
breakpoint found, each cache flush). The terminal and the reports render it; summary.json holds
it as ``{"pass": bool | None, "inconclusive": [...], "rows": [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EXIT_PASS, EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = 0, 1, 3, 130
NO_DATA = "no data"


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One line of the verdict table.

    Attributes:
        objective: what is checked, e.g. "p95 latency".
        stage: the stage's name, or "run" for all judged stages together.
        bound: the objective as text, e.g. "<= 300 ms".
        measured: what the run showed, e.g. "212.4 ms" or "no data".
        passed: True or False when judged; None when only reported.
        value: the measured number, when there is one.
        limit: the bound as a number, when there is one.
    """

    objective: str
    stage: str
    bound: str
    measured: str
    passed: bool | None
    value: float | None = None
    limit: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "stage": self.stage,
            "bound": self.bound,
            "measured": self.measured,
            "pass": self.passed,
            "value": self.value,
            "limit": self.limit,
        }

    @classmethod
    def from_json(cls, raw: Any) -> VerdictRow:
        """A row as ``to_json`` wrote it; ValueError naming the field when it is not one."""
        if not isinstance(raw, Mapping):
            msg = f"a verdict row must be a table, not {type(raw).__name__}"
            raise ValueError(msg)
        name = raw.get("objective", "?")

        def text(key: str) -> str:
            value = raw.get(key)
            if not isinstance(value, str):
                msg = f"verdict row {name!r}: {key} must be text"
                raise ValueError(msg)
            return value

        def number(key: str) -> float | None:
            value = raw.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                msg = f"verdict row {name!r}: {key} must be a number or null"
                raise ValueError(msg)
            return float(value)

        passed = raw.get("pass")
        if passed is not None and not isinstance(passed, bool):
            msg = f"verdict row {name!r}: pass must be true, false or null"
            raise ValueError(msg)
        return cls(
            text("objective"), text("stage"), text("bound"), text("measured"), passed,
            number("value"), number("limit"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome: pass, fail, or None (inconclusive, or nothing was judged).

    Attributes:
        passed: True if every judged row passed, False if any failed, None if inconclusive.
        rows: the table, stage by stage, then the whole run.
        inconclusive: why the numbers cannot be trusted as the target's, if they cannot.
    """

    passed: bool | None
    rows: tuple[VerdictRow, ...]
    inconclusive: tuple[str, ...] = ()

    @property
    def judged(self) -> tuple[VerdictRow, ...]:
        """The rows that pass or fail (the others are only reported): the verdict's checks."""
        return tuple(row for row in self.rows if row.passed is not None)

    def rows_of(self, stage: str) -> tuple[VerdictRow, ...]:
        return tuple(row for row in self.rows if row.stage == stage)

    @property
    def exit_code(self) -> int:
        if self.passed is None:
            return EXIT_INCONCLUSIVE
        return EXIT_PASS if self.passed else EXIT_FAIL

    def to_json(self) -> dict[str, Any]:
        return {
            "pass": self.passed,
            "inconclusive": list(self.inconclusive),
            "rows": [row.to_json() for row in self.rows],
        }

    @classmethod
    def from_json(cls, raw: Any) -> Verdict:
        """A verdict as ``to_json`` wrote it (summary.json); ValueError saying what is wrong."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("rows"), list):
            msg = "the verdict must be a table with a list of rows"
            raise ValueError(msg)
        passed = raw.get("pass")
        if passed is not None and not isinstance(passed, bool):
            msg = "the verdict's pass must be true, false or null"
            raise ValueError(msg)
        inconclusive = raw.get("inconclusive", [])
        if not isinstance(inconclusive, list):
            msg = "the verdict's inconclusive must be a list of reasons"
            raise ValueError(msg)
        rows = tuple(VerdictRow.from_json(row) for row in raw["rows"])
        return cls(passed, rows, tuple(str(reason) for reason in inconclusive))


def decide(rows: Sequence[VerdictRow], inconclusive: Sequence[str] = ()) -> Verdict:
    """Pass if every judged row passed; fail if one failed; None if inconclusive or unjudged."""
    judged = [row.passed for row in rows if row.passed is not None]
    passed = None if inconclusive or not judged else all(judged)
    return Verdict(passed, tuple(rows), tuple(inconclusive))


def run_exit_code(
    verdict: Verdict | None, *, complete: bool, interrupted: bool, generator_bound: bool
) -> int:
    """The exit code of a run, from its verdict and how it ended: the one place it is decided.

    130 interrupted; a run that did not finish (a worker failed, it was killed) 3 whatever its
    verdict says, since the stages it did not reach were never judged; with [slo], the verdict's
    code; without, 3 if the generator could not keep up, else 0.
    """
    if interrupted:
        return EXIT_INTERRUPTED
    if not complete:
        return EXIT_INCONCLUSIVE
    if verdict is not None:
        return verdict.exit_code
    return EXIT_INCONCLUSIVE if generator_bound else EXIT_PASS
