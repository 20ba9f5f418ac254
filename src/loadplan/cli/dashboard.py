"""``loadplan dashboard``: write the Grafana dashboard for a live run and its target."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loadplan.errors import PlanError

DEFAULT_OUT = Path("monitoring/load_test_dashboard.json")


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard_command(
        out: Annotated[Path, typer.Option(help="where to write the dashboard JSON")] = DEFAULT_OUT,
        p95_ms: Annotated[float, typer.Option(help="P95 latency bound drawn, ms")] = 300.0,
        p99_ms: Annotated[float, typer.Option(help="P99 latency bound drawn, ms")] = 500.0,
        error_pct: Annotated[float, typer.Option(help="error-rate bound drawn, %")] = 0.1,
    ) -> None:
        """Write a Grafana dashboard for `loadplan run --metrics-port` and the target's /metrics."""
        from loadplan.report.grafana import SlaLines, dashboard_json

        for option, value in (("--p95-ms", p95_ms), ("--p99-ms", p99_ms)):
            if value <= 0:
                msg = f"{option} {value:g}: a latency bound must be > 0 ms, e.g. {option} 300"
                raise PlanError(msg)
        if not 0 < error_pct <= 100:
            msg = f"--error-pct {error_pct:g}: give a percentage in (0, 100], e.g. 0.1"
            raise PlanError(msg)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dashboard_json(SlaLines(p95_ms, p99_ms, error_pct)), encoding="utf-8")
        except OSError as exc:
            msg = f"--out {out}: cannot write the dashboard ({exc.strerror})"
            raise PlanError(msg) from None
        print(f"dashboard: {out} (import it in Grafana: Dashboards > New > Import)")
