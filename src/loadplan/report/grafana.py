"""A Grafana dashboard for a live run: the generator's metrics beside the target's own.

Built with grafana-foundation-sdk, Grafana Labs' maintained, typed builders (generated from
Grafana's schemas), so the JSON has the shape Grafana expects without hand-written dictionaries.
grafanalib was the other candidate; it has had no release since January 2024.

Every latency panel draws the SLA bounds as dashed threshold lines. Queries use the dashboard's
variables (``$datasource``, ``$generator_job``, ``$target_job``, ``$cache_tag``) and Grafana's
``$__rate_interval``; ``tests/acceptance/test_dashboard.py`` sends each one, with those filled
in, to a real Prometheus scraping a real run, and requires data back.

Example::

    from loadplan.report.grafana import SlaLines, dashboard_json
    Path("monitoring/load_test_dashboard.json").write_text(dashboard_json(SlaLines(300, 500)))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dash_b
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_m
from grafana_foundation_sdk.models import dashboard as dash_m

from loadplan.sinks import prometheus as gen

UID = "loadplan-load-test"
DATASOURCE = dash_m.DataSourceRef(type_val="prometheus", uid="${datasource}")
GEN = 'job=~"$generator_job"'
TARGET = 'job=~"$target_job"'
RATE = "[$__rate_interval]"


@dataclass(frozen=True, slots=True)
class SlaLines:
    """The bounds drawn on the dashboard.

    Attributes:
        p95_ms: P95 latency bound.
        p99_ms: P99 latency bound.
        error_pct: error-rate bound, percent of completed requests.
    """

    p95_ms: float = 300.0
    p99_ms: float = 500.0
    error_pct: float = 0.1


def _query(expr: str, legend: str, ref: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).range()


def _thresholds(*steps: tuple[float, str]) -> dash_b.ThresholdsConfig:
    return (
        dash_b.ThresholdsConfig()
        .mode(dash_m.ThresholdsMode.ABSOLUTE)
        .steps(
            [dash_m.Threshold(value=None, color="green")]
            + [dash_m.Threshold(value=v, color=c) for v, c in steps]
        )
    )


def _series(
    title: str,
    unit: str,
    queries: Sequence[tuple[str, str]],
    description: str,
    lines: Sequence[tuple[float, str]] = (),
    span: int = 12,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(span)
        .height(8)
        .line_width(2)
        .fill_opacity(8)
        .legend(
            common_b.VizLegendOptions()
            .show_legend(True)
            .display_mode(common_m.LegendDisplayMode.LIST)
            .placement(common_m.LegendPlacement.BOTTOM)
        )
        .tooltip(common_b.VizTooltipOptions().mode(common_m.TooltipDisplayMode.MULTI))
    )
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + i)))
    if lines:
        panel = panel.thresholds(_thresholds(*lines)).thresholds_style(
            common_b.GraphThresholdsStyleConfig().mode(common_m.GraphTresholdsStyleMode.DASHED)
        )
    return panel


def _quantiles(metric: str, selector: str) -> list[tuple[str, str]]:
    return [
        (
            f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{{selector}}}{RATE})))",
            f"P{q * 100:g}",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def _generator_panels(sla: SlaLines) -> list[Builder[dash_m.Panel]]:
    bounds = [(sla.p95_ms / 1000, "orange"), (sla.p99_ms / 1000, "red")]
    return [
        _series(
            "Request rate: offered vs achieved",
            "reqps",
            [
                (f"sum(rate({gen.DUE}_total{{{GEN}}}{RATE}))", "offered"),
                (f"sum(rate({gen.REQUESTS}_total{{{GEN}}}{RATE}))", "achieved (completed)"),
                (f'sum(rate({gen.REQUESTS}_total{{{GEN},outcome="ok"}}{RATE}))', "ok"),
            ],
            "Offered: requests the schedule made due. Achieved: requests that completed. "
            "A gap means the target (or the generator: see its health) cannot keep up.",
        ),
        _series(
            "Latency from intended send (generator)",
            "s",
            _quantiles(gen.LATENCY, GEN),
            "Coordinated-omission correct: measured from each request's due time. Dashed: "
            f"P95 bound {sla.p95_ms:g} ms, P99 bound {sla.p99_ms:g} ms.",
            bounds,
        ),
        _series(
            "Errors by outcome",
            "reqps",
            [
                (
                    f'sum by (outcome) (rate({gen.REQUESTS}_total{{{GEN},outcome!="ok"}}{RATE}))',
                    "{{outcome}}",
                )
            ],
            "Failed requests per second by class: http_5xx, timeout, connect_refused, ...",
        ),
        _series(
            "Error ratio",
            "percentunit",
            [
                (
                    (
                        f'sum(rate({gen.REQUESTS}_total{{{GEN},outcome!="ok"}}{RATE})) / '
                        f"sum(rate({gen.REQUESTS}_total{{{GEN}}}{RATE}))"
                    ),
                    "errors / completed",
                )
            ],
            f"Dashed: the error-rate bound, {sla.error_pct:g} %.",
            [(sla.error_pct / 100, "red")],
        ),
        _series(
            "Cache hit rate (response header)",
            "percentunit",
            [
                (
                    (
                        f'sum(rate({gen.TAGGED}_total{{{GEN},tag="$cache_tag",value=~"(?i)hit.*"}}'
                        f'{RATE})) / sum(rate({gen.TAGGED}_total{{{GEN},tag="$cache_tag"}}{RATE}))'
                    ),
                    "hits / lookups",
                )
            ],
            "From the cache header the generator captured (--capture-header X-Cache).",
            span=8,
        ),
        _series(
            "In flight and backlog",
            "short",
            [
                (f"{gen.INFLIGHT}{{{GEN}}}", "in flight (max per second)"),
                (f"{gen.BACKLOG}{{{GEN}}}", "backlog (due, waiting for a connection)"),
            ],
            "Requests sent and not yet answered; requests due but not yet sent.",
            span=8,
        ),
        _series(
            "Generator health",
            "short",
            [
                (f"{gen.LAG_P99}{{{GEN}}} * 1000", "schedule lag P99 (ms)"),
                (f"{gen.CPU}{{{GEN}}} * 100", "CPU, busiest worker (% of a core)"),
                (f"{gen.OFF_CPU}{{{GEN}}} * 100", "off-CPU {{cause}} (% of a second)"),
            ],
            "Lag above 10 ms or CPU near 100 % means the numbers describe the generator, "
            "not the target; off-CPU time (queued behind other processes, or stolen by the "
            "hypervisor) says when the machine made it late.",
            span=8,
        ),
    ]


def _target_panels(sla: SlaLines) -> list[Builder[dash_m.Panel]]:
    bounds = [(sla.p95_ms / 1000, "orange"), (sla.p99_ms / 1000, "red")]
    search = f'{TARGET},route="/search"'
    hits, misses = "refservice_cache_hits_total", "refservice_cache_misses_total"
    return [
        _series(
            "Target request rate by status",
            "reqps",
            [
                (
                    f"sum by (status) (rate(refservice_requests_total{{{search}}}{RATE}))",
                    "{{status}}",
                )
            ],
            "Answers the target sent for /search, by HTTP status (its own count).",
        ),
        _series(
            "Target latency (server side)",
            "s",
            _quantiles("refservice_request_duration_seconds", search),
            "Time inside the service, arrival to last byte: the latency above minus queueing "
            "in the network and the generator.",
            bounds,
        ),
        _series(
            "Target cache hit rate",
            "percentunit",
            [
                (
                    (
                        f"sum(rate({hits}{{{TARGET}}}{RATE})) / "
                        f"(sum(rate({hits}{{{TARGET}}}{RATE}))"
                        f" + sum(rate({misses}{{{TARGET}}}{RATE})))"
                    ),
                    "hits / lookups",
                )
            ],
            "The target's own count of cache hits and misses.",
            span=8,
        ),
        _series(
            "Target CPU",
            "short",
            [(f"rate(process_cpu_seconds_total{{{TARGET}}}{RATE})", "cores ({{instance}})")],
            "CPU seconds per second of the target process: 1 = one full core.",
            span=8,
        ),
        _series(
            "Target memory",
            "bytes",
            [(f"process_resident_memory_bytes{{{TARGET}}}", "resident ({{instance}})")],
            "Resident memory of the target process.",
            span=8,
        ),
    ]


def _stage_panel() -> stat.Panel:
    return (
        stat.Panel()
        .title("Stage and elapsed time")
        .description("The stage the run is in, and seconds since it started.")
        .datasource(DATASOURCE)
        .span(24)
        .height(4)
        .text_mode(common_m.BigValueTextMode.VALUE_AND_NAME)
        .color_mode(common_m.BigValueColorMode.NONE)
        .graph_mode(common_m.BigValueGraphMode.NONE)
        .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .with_target(_query(f"{gen.STAGE}_info{{{GEN}}}", "stage {{stage}}", "A"))
        .with_target(_query(f"{gen.ELAPSED}{{{GEN}}}", "elapsed s", "B"))
        .with_target(_query(f"{gen.OFFERED}{{{GEN}}}", "offered /s", "C"))
        .with_target(_query(f"{gen.ACHIEVED}{{{GEN}}}", "achieved /s", "D"))
    )


def _textbox(name: str, label: str, default: str) -> dash_b.TextBoxVariable:
    return (
        dash_b.TextBoxVariable(name)
        .label(label)
        .default_value(default)
        .current(dash_m.VariableOption(selected=True, text=default, value=default))
    )


def build_dashboard(sla: SlaLines = SlaLines()) -> dash_b.Dashboard:
    """The dashboard builder: generator row first, then the target's own metrics."""
    board = (
        dash_b.Dashboard("loadplan: load test")
        .uid(UID)
        .description(
            "Live metrics of a loadplan run (loadplan run --metrics-port) and of the "
            "target's /metrics, with the SLA bounds drawn."
        )
        .tags(["loadplan", "load-test", "sla"])
        .editable()
        .refresh("5s")
        .time("now-15m", "now")
        .timezone("browser")
        .tooltip(dash_m.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash_b.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
        )
        .with_variable(_textbox("generator_job", "generator job", "loadplan"))
        .with_variable(_textbox("target_job", "target job", "refservice"))
        .with_variable(_textbox("cache_tag", "cache tag", "x-cache"))
        .with_row(dash_b.Row("Load generator (loadplan)"))
        .with_panel(_stage_panel())
    )
    for panel in _generator_panels(sla):
        board = board.with_panel(panel)
    board = board.with_row(dash_b.Row("Target (its own /metrics)"))
    for panel in _target_panels(sla):
        board = board.with_panel(panel)
    return board


def dashboard_json(sla: SlaLines = SlaLines()) -> str:
    """The dashboard as Grafana JSON (import it, or provision it from a file)."""
    model = build_dashboard(sla).build()
    data = json.loads(json.dumps(model, cls=JSONEncoder))
    # Grafana wants a distinct id per panel; the builders leave every id at 0.
    for number, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = number
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
