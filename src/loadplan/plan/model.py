"""The plan: one frozen, validated value describing a run, built from plan.toml and CLI options.

Durations accept ``30s``/``5m``/``2h``/``250ms`` or seconds as a number. Unknown fields are
errors (a typo in a plan must not silently fall back to a default).
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from loadplan.units import parse_duration
from loadplan.workload.spec import WorkloadSpec


def _duration(value: Any) -> float:
    return parse_duration(value)


Seconds = Annotated[float, BeforeValidator(_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        if self.mode is Mode.OPEN and self.rate is None:
            msg = "open loop needs a rate: set load.rate (requests per second) or --rate"
            raise ValueError(msg)
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


class Plan(_Section):
    """A whole run."""

    target: TargetSpec
    load: LoadSpec
    client: ClientSpec = ClientSpec()
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    output: OutputSpec = OutputSpec()
    generator: GeneratorSpec = GeneratorSpec()
