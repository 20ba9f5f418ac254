"""Can a TCP connection be made to the target from here: the one probe every start makes.

The coordinator makes it before a run (``scenarios.workers.check_reachable``), each Ray actor
from its own node (``cluster.actor``), and a distributed run to the Ray head first
(``cluster.connect``); each words its own advice around the same reason.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Why a TCP connect failed.

    Attributes:
        reason: in lower-case words ("connection refused", "no answer to a TCP connect
            within 3s").
        timed_out: nothing answered at all (a firewall, a wrong host), rather than a refusal.
    """

    reason: str
    timed_out: bool


def probe(host: str, port: int, timeout_s: float) -> Unreachable | None:
    """None when a TCP connect to ``host:port`` succeeds within ``timeout_s``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except TimeoutError:
        return Unreachable(f"no answer to a TCP connect within {timeout_s:g}s", timed_out=True)
    except OSError as exc:
        return Unreachable((exc.strerror or type(exc).__name__).lower(), timed_out=False)
