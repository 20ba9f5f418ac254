"""``[slo]``: the objectives a run is judged against (``loadplan.analysis.slo`` does the judging).

Example::

    [slo]
    p95 = "300ms"
    p99 = "500ms"
    error_rate = "0.1%"     # at most one failed request in a thousand
    throughput = "99%"      # completed >= 99 % of the offered requests
    cache_hit_rate = 0.5    # from the target's /metrics, else the X-Cache tag
    max_drift = "30ms"      # per-window P95 may rise at most this much over a soak stage
"""

from __future__ import annotations

from pydantic import Field

from loadplan.plan.fields import Fraction, Seconds, Section

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9}
"""Objective name -> percentile; the names match the summary's ``latency_ms`` keys."""


class SloSpec(Section):
    """``[slo]``: every objective is optional; a plan with none has no verdict."""

    p50: Seconds | None = Field(None, gt=0)
    p90: Seconds | None = Field(None, gt=0)
    p95: Seconds | None = Field(None, gt=0)
    p99: Seconds | None = Field(None, gt=0)
    p999: Seconds | None = Field(None, gt=0, alias="p99.9")
    error_rate: Fraction | None = Field(None, ge=0, le=1, description="max failed share")
    throughput: Fraction | None = Field(None, gt=0, le=1, description="min completed/offered")
    cache_hit_rate: Fraction | None = Field(None, ge=0, le=1, description="hit-rate floor")
    max_drift: Seconds | None = Field(None, ge=0, description="P95 rise allowed over a soak")
    drift_window: Seconds = Field(60.0, gt=0, description="P95 is taken per window this long")
    recovery: Seconds | None = Field(
        None, gt=0, description="spike: P95 back under bound within this long (default: by the end)"
    )
    settle: int = Field(3, ge=1, description="seconds P95 must stay under bound to count as back")

    def latency_bounds(self) -> dict[str, float]:
        """Percentile name -> bound in milliseconds, for the percentiles the plan bounds."""
        values = {
            "p50": self.p50,
            "p90": self.p90,
            "p95": self.p95,
            "p99": self.p99,
            "p99.9": self.p999,
        }
        return {name: v * 1000 for name, v in values.items() if v is not None}

    def recovery_bound(self) -> tuple[str, float] | None:
        """The percentile a spike's recovery is timed on: P95 if bounded, else the first bound."""
        bounds = self.latency_bounds()
        if "p95" in bounds:
            return "p95", bounds["p95"]
        return next(iter(bounds.items()), None)

    @property
    def judges_seconds(self) -> bool:
        """Whether a single second can fail (what a breakpoint stage needs to stop)."""
        return bool(self.latency_bounds()) or self.error_rate is not None
