"""Reaching a Ray cluster: importing the optional extra, and joining (or starting) a cluster.

Each failure is one line that says what to do, before anything is sent: Ray not installed (exit
2: install the extra), a head that does not answer (exit 3, as an unreachable target).
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from loadplan.engine.reach import probe
from loadplan.errors import ClusterError, LoadplanError

INSTALL_HINT = "pip install 'loadplan[ray]'"


def import_ray() -> ModuleType:
    """Ray itself, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        msg = f"--ray needs Ray, which is not installed: {INSTALL_HINT}"
        raise LoadplanError(msg) from None
    return ray


def head_host_port(address: str) -> tuple[str, int]:
    """``host:port`` or ``ray://host:port`` split; brackets around an IPv6 host dropped."""
    bare = address.removeprefix("ray://")
    host, _, port = bare.rpartition(":")
    return host.strip("[]"), int(port)


def check_head(address: str, timeout_s: float) -> None:
    """A TCP connect to the head first: Ray's own client retries for a minute before it says
    anything, and says it in a page of log lines."""
    host, port = head_host_port(address)
    failed = probe(host, port, timeout_s)
    if failed is not None:
        msg = (
            f"--ray {address}: cannot reach the Ray head ({failed.reason}); start one with "
            f"`ray start --head --port {port}` there, or give its address (host:port of its "
            "GCS, or ray://host:10001)"
        )
        raise ClusterError(msg)


def connect(address: str, timeout_s: float) -> bool:
    """Join the cluster ``address`` names ("local": start one in this process; "auto": the one
    this machine is part of); True when this call started or joined it (and so should leave
    it with ``ray.shutdown()``), False when the process was already connected."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    kwargs: dict[str, object] = {
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if address == "local":
        kwargs |= {
            "address": "local",
            "num_cpus": os.cpu_count() or 1,
            "include_dashboard": False,
        }
    else:
        if address != "auto":
            check_head(address, timeout_s)
        kwargs["address"] = address
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "start one with `ray start --head`, or use --ray local" if address == "auto" else ""
        msg = f"--ray {address}: cannot join the Ray cluster: {first}" + (
            f"; {hint}" if hint else ""
        )
        raise ClusterError(msg) from None
    return True
