"""The one error the reference service raises at its edge: it could not start."""

from __future__ import annotations

from loadplan.errors import LoadplanError


class ServiceStartError(LoadplanError):
    """The service could not start: a port in use, Redis unreachable, an unusable data dir.

    The message is one line naming what failed and what to do about it; the CLI prints it and
    exits non-zero.
    """

    exit_code = 3
