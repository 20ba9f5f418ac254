"""Secret header values kept out of the run directory.

A plan carries credentials in headers: ``[admin] headers`` authorize the cache flush, and a
``[workload.template] headers`` or ``--header`` may hold the target's API key. The run directory
is meant to be shared (attached to a ticket, committed as evidence), so what is written there
(meta.json's plan and command, and the report made from them) holds a marker instead.

The rule: a header is secret when its name, case-insensitively, contains ``auth``
(Authorization, Proxy-Authorization, X-Auth-Token), ``cookie`` (Cookie, Set-Cookie), ``token``,
``secret``, ``password``, ``api-key``, ``apikey`` or ``api_key`` (X-Api-Key). Its value becomes
``<redacted>``; the name stays, so a reader sees that the header was sent. Nothing reads a header
value back from meta.json: re-judging a run needs the plan's stages and SLO, not its
credentials.
"""

from __future__ import annotations

import shlex
from typing import Any

REDACTED = "<redacted>"
"""What a secret header's value is replaced with."""

SECRET_NAME_PARTS = (
    "auth",
    "cookie",
    "token",
    "secret",
    "password",
    "api-key",
    "apikey",
    "api_key",
)
"""A header whose lower-cased name contains one of these is secret (the module docstring)."""

HEADER_FLAG = "--header"


def is_secret_header(name: str) -> bool:
    lowered = name.strip().lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


def redact_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``headers`` with the values of secret ones replaced by ``REDACTED``."""
    return {k: REDACTED if is_secret_header(k) else v for k, v in headers.items()}


def redact_plan(dump: Any) -> Any:
    """A copy of a plan's ``model_dump`` with every ``headers`` table redacted, wherever it is
    (``[admin]``, ``[workload.template]``, and any section that grows headers later)."""
    if isinstance(dump, dict):
        return {
            k: redact_headers(v) if k == "headers" and isinstance(v, dict) else redact_plan(v)
            for k, v in dump.items()
        }
    if isinstance(dump, list):
        return [redact_plan(v) for v in dump]
    return dump


def _redact_header_arg(arg: str) -> str:
    name, sep, _ = arg.partition(":")
    return f"{name}: {REDACTED}" if sep and is_secret_header(name) else arg


def redact_command(command: str | None) -> str | None:
    """The command line with the values of secret ``--header 'Name: value'`` options redacted."""
    if command is None:
        return None
    try:
        args = shlex.split(command)
    except ValueError:  # unbalanced quotes: not something the shell ran; keep nothing of it
        return REDACTED
    out: list[str] = []
    after_flag = False
    for arg in args:
        if after_flag:
            out.append(_redact_header_arg(arg))
        elif arg.startswith(HEADER_FLAG + "="):
            out.append(HEADER_FLAG + "=" + _redact_header_arg(arg[len(HEADER_FLAG) + 1 :]))
        else:
            out.append(arg)
        after_flag = arg == HEADER_FLAG
    return shlex.join(out)
