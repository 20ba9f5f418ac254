"""The plan: one frozen, validated value describing a run, built from plan.toml and CLI options.

Durations accept ``30s``/``5m``/``2h``/``250ms`` or seconds as a number. Unknown fields are
errors (a typo in a plan must not silently fall back to a default).
"""

from __future__ import annotations

import enum
import re

from pydantic import Field, field_validator, model_validator

from loadplan.errors import shown
from loadplan.plan.fields import Seconds
from loadplan.plan.fields import Section as _Section
from loadplan.plan.slo import SloSpec
from loadplan.plan.stages import StageSpec, SuiteSpec, SweepStage
from loadplan.plan.workload import WorkloadSpec


class Mode(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ArrivalKind(enum.StrEnum):
    UNIFORM = "uniform"
    POISSON = "poisson"


class TargetSpec(_Section):
    """``[target]``: where the load goes."""

    url: str = Field(description="Base URL of the service, e.g. http://127.0.0.1:8080")
    insecure: bool = Field(False, description="https: skip certificate verification")

    @field_validator("url")
    @classmethod
    def _absolute(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            msg = "need an absolute http:// or https:// URL, e.g. http://127.0.0.1:8080"
            raise ValueError(msg)
        return url


class LoadSpec(_Section):
    """``[load]``: how much, for how long, open or closed loop."""

    mode: Mode = Mode.OPEN
    rate: float | None = Field(None, gt=0, description="requests per second (open loop)")
    duration: Seconds = Field(30.0, gt=0)
    arrivals: ArrivalKind = ArrivalKind.UNIFORM
    users: int | None = Field(None, ge=1, description="concurrent users (closed loop)")
    think: Seconds = 0.0
    seed: int = 1
    workers: int = Field(1, ge=1, le=256)

    @model_validator(mode="after")
    def _mode_needs(self) -> LoadSpec:
        # "open loop needs a rate" is checked in plan/checks.py: [[stages]] can stand in for it.
        if self.mode is Mode.CLOSED and self.users is None:
            msg = "closed loop needs users: set load.users or --users"
            raise ValueError(msg)
        return self


class ClientSpec(_Section):
    """``[client]``: connection pool limits and timeouts."""

    connections: int = Field(256, ge=1, le=100_000)
    timeout: Seconds = Field(10.0, gt=0, description="total time from send to last byte")
    connect_timeout: Seconds = Field(3.0, gt=0)
    read_timeout: Seconds | None = Field(None, gt=0, description="default: timeout")
    capture_header: str = Field("", description="response header recorded as a tag, e.g. X-Cache")
    max_backlog: int = Field(
        100_000, ge=1, description="requests waiting for a connection before more are dropped"
    )

    @field_validator("capture_header")
    @classmethod
    def _header(cls, name: str) -> str:
        return _header_name(name) if name else name


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _header_name(name: str) -> str:
    # The client matches it against the response's header bytes (latin-1) and the flush hook
    # hands it to urllib, which refuses a newline mid-run: both need an HTTP token.
    if not _TOKEN.fullmatch(name):
        msg = "not a header name; use letters, digits and - (e.g. X-Cache)"
        raise ValueError(msg)
    return name


class OutputSpec(_Section):
    """``[output]``: where the run directory goes, the report, and the live metrics endpoint."""

    dir: str | None = Field(None, description="run directory; default runs/<timestamp>")
    report: bool = Field(True, description="write RUN_DIR/report/ (Markdown, HTML, CSV) at the end")
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="serve live Prometheus metrics on this port (0: any)"
    )
    metrics_host: str = Field("127.0.0.1", description="address the metrics endpoint binds")


class GeneratorSpec(_Section):
    """``[generator]``: when to call the generator, not the target, the bottleneck."""

    lag_bound: Seconds = Field(0.010, gt=0, description="schedule-lag P99 bound")


def _relative_or_absolute(url: str) -> str:
    if not url.startswith(("/", "http://", "https://")):
        msg = "need a path on the target (/metrics) or an absolute http:// URL"
        raise ValueError(msg)
    return url


class ScrapeSpec(_Section):
    """``[scrape]``: the target's Prometheus endpoints, read during the run.

    Counter names default to the reference service's; a target without them still gets CPU,
    memory and restarts from the standard ``process_*`` series.
    """

    urls: tuple[str, ...] = Field((), description="paths on the target or absolute URLs")
    interval: Seconds = Field(5.0, ge=0.1)
    timeout: Seconds = Field(2.0, gt=0)
    cache_hits: str = "refservice_cache_hits_total"
    cache_misses: str = "refservice_cache_misses_total"
    series: tuple[str, ...] = Field((), description="more sample names to keep")

    @field_validator("urls")
    @classmethod
    def _urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_relative_or_absolute(u) for u in urls)


class AdminSpec(_Section):
    """``[admin]``: the target's admin hooks; today, the cache flush before a cold stage."""

    cache_flush: str | None = Field(None, description="path or URL to call to flush the cache")
    method: str = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Seconds = Field(5.0, gt=0)

    @field_validator("cache_flush")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return None if url is None else _relative_or_absolute(url)

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _TOKEN.fullmatch(name):
                msg = f"{shown(name)} is not a header name; use letters, digits and - (X-Token)"
                raise ValueError(msg)
            if re.search(r"[\x00\r\n]", value):
                msg = f"header {name} has a line break or NUL in its value; remove it"
                raise ValueError(msg)
        return headers


class SkewPolicy(enum.StrEnum):
    REFUSE = "refuse"
    FLAG = "flag"


_RAY_ADDRESS = re.compile(r"(ray://)?[A-Za-z0-9.\-\[\]:]+:\d{1,5}")


class ClusterSpec(_Section):
    """``[cluster]``: run the workers as Ray actors over a cluster instead of local processes."""

    ray: str | None = Field(
        None,
        description='"local" (start Ray here), "auto" (the cluster this machine is part of), '
        "or the head's address, host:port or ray://host:port",
    )
    workers: int | None = Field(
        None, ge=1, le=1024, description="actors; default one per CPU of the cluster"
    )
    max_clock_skew: Seconds = Field(
        0.005, gt=0, description="bound on a node's clock offset from the coordinator's"
    )
    on_skew: SkewPolicy = Field(SkewPolicy.REFUSE, description="refuse the run, or flag it")
    start_timeout: Seconds = Field(
        60.0, gt=0, description="how long the actors may take to be placed and ready"
    )

    @field_validator("ray")
    @classmethod
    def _address(cls, ray: str | None) -> str | None:
        if ray is None or ray in ("local", "auto") or _RAY_ADDRESS.fullmatch(ray):
            return ray
        msg = (
            f"{shown(ray)} is not a Ray address; use local, auto, host:port (the head's GCS "
            "port, 6379 by default) or ray://host:port (Ray Client, 10001)"
        )
        raise ValueError(msg)


class Plan(_Section):
    """A whole run."""

    target: TargetSpec
    load: LoadSpec
    client: ClientSpec = ClientSpec()
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    output: OutputSpec = OutputSpec()
    generator: GeneratorSpec = GeneratorSpec()
    stages: tuple[StageSpec, ...] = ()
    suite: SuiteSpec = SuiteSpec()
    slo: SloSpec | None = None
    scrape: ScrapeSpec = ScrapeSpec()
    admin: AdminSpec = AdminSpec()
    cluster: ClusterSpec = ClusterSpec()

    @property
    def loop(self) -> Mode:
        """How the workers send: closed loop with ``[load] mode = "closed"`` or sweep stages
        (users, not a rate), else open loop."""
        if self.load.mode is Mode.CLOSED or any(isinstance(s, SweepStage) for s in self.stages):
            return Mode.CLOSED
        return Mode.OPEN
