"""Errors loadplan raises at its edges.

The hot path never raises for a failed request: a failure becomes an ``Outcome`` with an
``ErrorClass`` and is counted. Exceptions are for the edges, where a person must act::

    LoadplanError
    ├── PlanError (also ValueError)     a plan or a CLI setting is wrong; names file:line field
    ├── TargetError                     the target cannot be reached or answers unusably
    ├── GeneratorBoundError             the generator, not the target, limited the run
    ├── RunDirError                     a run directory is missing or unreadable
    ├── ClusterError                    a Ray cluster cannot be used (unreachable, clocks apart,
    │                                   no room for the actors, a node cannot reach the target)
    └── CapacityError (also ValueError) capacity data cannot be fitted (too few load levels,
                                        a bad CSV cell); names file:line and what to add

Each message says what was wanted, what was got, and the fix, in one line.
"""

from __future__ import annotations


class LoadplanError(Exception):
    """Base of every error loadplan raises on purpose."""

    exit_code: int = 2


class PlanError(LoadplanError, ValueError):
    """A plan (file or CLI settings) is invalid.

    Attributes:
        problems: one line per problem, each naming where it is and how to fix it.
    """

    exit_code = 2

    def __init__(self, problems: str | list[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class TargetError(LoadplanError):
    """The target could not be reached or did not speak HTTP."""

    exit_code = 3


class GeneratorBoundError(LoadplanError):
    """The generator could not keep its schedule; the numbers describe it, not the target."""

    exit_code = 3


class ClusterError(LoadplanError):
    """A distributed run cannot start on its cluster: nothing was measured, so inconclusive."""

    exit_code = 3


class RunDirError(LoadplanError):
    """A run directory is missing, empty or unreadable."""

    exit_code = 2


class CapacityError(LoadplanError, ValueError):
    """Capacity-model input cannot be fitted: too few load levels, or a bad value or CSV row.

    The message names the file and line when there is one, and says what to add or change.
    """

    exit_code = 2


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for quoting a bad value in a message.

    The value comes from a user's file and can be a 10 MB line; the message must stay one line a
    person can read, and the file and line it names say where the rest is.
    """
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (over 4300 digits)
        return "<a number too long to show>"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"
