"""What a load-test report says, in order, as document blocks.

The order answers the reader's questions in turn: did it pass (verdict first), can the numbers be
trusted (partial run, generator-bound), what happened over time (latency, rate, errors), per stage,
per kind of request (tags), the cache, the target's resources, and the generator's own health.
Sections whose data is missing still appear and say why, so a reader never wonders whether a
report forgot something.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hdrh.histogram import HdrHistogram

from loadplan.report import distribution, plots
from loadplan.report.cluster import cluster_line
from loadplan.report.csvexport import CSV_FILES
from loadplan.report.data import ReportData, Stage, TagValue
from loadplan.report.document import Alert, Block, Figure, Heading, Paragraph, Table
from loadplan.results.histogram import values_at_percentiles
from loadplan.verdict import Verdict, VerdictRow

QUANTILES = (50.0, 95.0, 99.0, 99.9)
LATENCY_COLUMNS = ("P50 ms", "P95 ms", "P99 ms", "P99.9 ms", "max ms")


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.2f} %" if whole else "-"


def hist_cells(hist: HdrHistogram) -> tuple[str, ...]:
    if hist.get_total_count() == 0:
        return ("-",) * len(LATENCY_COLUMNS)
    values = values_at_percentiles(hist, QUANTILES) / 1000.0
    return (*(ms(float(v)) for v in values), ms(hist.get_max_value() / 1000.0))


def build(data: ReportData) -> list[Block]:
    """Every block of the report, in reading order (plots are drawn here)."""
    return [
        *_head(data),
        *_verdict(data.verdict),
        *_overview(data),
        *_over_time(data),
        *_stages(data),
        *_tags(data),
        *_cache(data),
        *_target(data),
        *_generator(data),
        Heading("Exported data"),
        Paragraph(
            "CSV files beside this report: "
            + ", ".join(f"`{name}` ({what})" for name, what in CSV_FILES.items())
            + "."
        ),
    ]


def _tool_text(meta: Mapping[str, Any]) -> str:
    """Which loadplan measured, and whether its engine ran compiled (older runs do not say)."""
    version, engine = meta.get("loadplan"), meta.get("engine")
    if not version:
        return ""
    return f" · loadplan {version}" + (f" ({engine} engine)" if engine else "")


def _head(data: ReportData) -> Iterator[Block]:
    meta, summary = data.meta, data.summary
    yield Heading("Load test results", 1)
    started = meta.get("started_at")
    when = (
        datetime.fromtimestamp(float(started), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if started
        else "?"
    )
    if meta.get("command"):
        yield Paragraph(f"Command: `{meta['command']}`")
    yield Paragraph(f"Rebuild this report: `loadplan report {data.run_dir}`")
    plan_line = _plan_line(meta.get("plan", {}))
    if plan_line:
        yield Paragraph(plan_line)
    yield Paragraph(
        f"Target `{summary.get('target', meta.get('target', '?'))}` · "
        f"{summary.get('mode', '?')} loop · {summary.get('duration_s', 0):.0f} s · "
        f"workers {summary.get('workers', 1)} · started {when}{_tool_text(meta)}"
    )
    if not data.complete:
        yield Alert(
            f"PARTIAL RUN ({summary.get('stop_reason', 'stopped early')}): this report covers "
            f"the {len(data.seconds)} seconds recorded before the run stopped.",
            "warning",
        )
    degraded = summary.get("degraded")
    if degraded:
        yield Alert(f"DEGRADED RUN ({degraded.get('reason', 'a worker was lost')}).", "warning")
    if summary.get("cluster"):
        line = cluster_line(summary["cluster"])
        yield Paragraph(line[:1].upper() + line[1:] + ".")
    events = [_event_text(e) for e in summary.get("events", ())]
    if any(events):
        yield Paragraph("Events: " + "; ".join(text for text in events if text) + ".")
    if data.generator.get("bound"):
        yield Alert(
            "GENERATOR-BOUND: these numbers describe the load generator, not the target. "
            + "; ".join(data.generator.get("reasons", [])),
            "danger",
        )


def _event_text(event: Mapping[str, Any]) -> str:
    """One event of summary.json as a phrase ("target unreachable 2-4 s: ...")."""
    kind = event.get("event")
    if kind == "target unreachable":
        counts = ", ".join(f"{name} {n}" for name, n in event.get("errors", {}).items())
        return f"target unreachable {event['from_s']:g}-{event['to_s']:g} s ({counts})"
    if kind == "target back":
        return f"target answering again from {event['t_s']:g} s"
    if kind == "cache flush":
        t_s = event.get("t_s")
        at = f" at {t_s:g} s" if t_s is not None else ""
        return f"cache flush for {event.get('stage')}{at}: {'ok' if event.get('ok') else 'failed'}"
    return ""


def _plan_line(plan: Mapping[str, Any]) -> str | None:
    """What the plan asked for: its stages in order when it has any, else its [load]."""
    load = plan.get("load", {})
    arrivals = f"{load.get('arrivals', '?')} arrivals"
    stages = plan.get("stages") or ()
    if stages:
        return f"Plan ({arrivals}): " + " · ".join(_stage_text(s) for s in stages)
    if load.get("rate"):
        return f"Plan: {load['rate']:g} requests/s, {arrivals}, for {load.get('duration', 0):g} s"
    return None


def _stage_text(stage: Mapping[str, Any]) -> str:
    """One [[stages]] entry as the plan wrote it: "ramp-up 50->500/s over 30 s"."""
    kind = str(stage.get("type", "?"))
    name = stage.get("name") or kind
    if kind in ("constant", "soak"):
        what = f"{stage['rate']:g}/s for {stage['duration']:g} s"
    elif kind == "ramp":
        what = f"{stage['start']:g}->{stage['end']:g}/s over {stage['duration']:g} s"
    elif kind in ("step", "breakpoint"):
        what = (
            f"{stage['start']:g}->{stage['end']:g}/s in steps of {stage['step']:g}, "
            f"{stage['step_duration']:g} s each"
        )
    elif kind == "sweep":
        step = stage.get("users_step")
        how = f"+{step}" if step is not None else f"x{stage.get('users_factor', 0):g}"
        what = (
            f"{stage['users_from']}->{stage['users_to']} users ({how} per step), "
            f"{stage['step_duration']:g} s each"
        )
    elif kind == "spike":
        what = (
            f"{stage['rate']:g}/s x{stage['factor']:g} for {stage['hold']:g} s, "
            f"{stage['recovery']:g} s to recover"
        )
    else:
        return str(name)
    return f"{name} {what}" if name != kind else f"{kind} {what}"


def _verdict_rows(rows: Sequence[VerdictRow]) -> Table:
    def mark(passed: bool | None) -> str:
        return "?" if passed is None else ("PASS" if passed else "FAIL")

    return Table(
        ("objective", "stage", "bound", "measured", "pass"),
        tuple((r.objective, r.stage, r.bound, r.measured, mark(r.passed)) for r in rows),
    )


def _verdict(verdict: Verdict | None) -> Iterator[Block]:
    yield Heading("SLA verdict")
    if verdict is None:
        yield Paragraph("No SLA objectives in this plan: there is nothing to pass or fail.")
        return
    judged = verdict.judged
    if verdict.passed is not None:
        failed = sum(1 for r in judged if r.passed is False)
        if not verdict.passed:
            text = f"FAIL: {failed} of {len(judged)} objectives did not hold."
        elif len(judged) == 1:
            text = "PASS: the objective held."
        else:
            text = f"PASS: all {len(judged)} objectives held."
        reported = len(verdict.rows) - len(judged)
        if reported:
            rows = "row is" if reported == 1 else "rows are"
            text += f" {reported} more {rows} reported, not judged."
        yield Alert(text, "ok" if verdict.passed else "fail")
    elif verdict.rows or verdict.inconclusive:
        why = "; ".join(verdict.inconclusive) or "no objective could be judged"
        yield Alert(f"INCONCLUSIVE: {why}", "warning")
    if verdict.rows:
        yield _verdict_rows(verdict.rows)
    else:
        yield Paragraph("The verdict holds no rows.")


def _overview(data: ReportData) -> Iterator[Block]:
    s = data.summary
    req, rate = s.get("requests", {}), s.get("rate", {})
    errors = {k: v for k, v in s.get("errors", {}).items() if k != "ok"}
    err_rate = s.get("error_rate")
    yield Heading("Summary")
    yield Table(
        ("", "value"),
        (
            (
                "requests due / sent / completed",
                f"{req.get('due', 0):,} / {req.get('sent', 0):,} / {req.get('completed', 0):,}",
            ),
            ("offered rate", f"{rate.get('offered', 0):,.1f} /s"),
            ("achieved rate", f"{rate.get('achieved', 0):,.1f} /s"),
            ("error rate", "-" if err_rate is None else f"{100 * err_rate:.3f} %"),
            ("errors by class", ", ".join(f"{k} {v:,}" for k, v in errors.items()) or "none"),
        ),
    )
    cols = ("p50", "p95", "p99", "p99.9", "max")
    yield Table(
        ("whole run", *LATENCY_COLUMNS),
        tuple(
            (label, *(ms(s.get(key, {}).get(c)) for c in cols))
            for key, label in (
                ("latency_ms", "latency (from intended send)"),
                ("service_ms", "service time (from actual send)"),
                ("lag_ms", "schedule lag"),
            )
        ),
    )


def _over_time(data: ReportData) -> Iterator[Block]:
    yield Heading("Latency over time")
    bounds = ", ".join(b.label for b in data.sla_bounds) or "none stated"
    yield Figure(
        plots.latency_over_time(data),
        f"Per second, measured from each request's intended send time. SLA bounds: {bounds}.",
    )
    yield Heading("Offered vs achieved rate")
    yield Figure(
        plots.rates(data),
        "Offered: requests the schedule made due; achieved: requests that completed.",
    )
    yield Heading("Errors")
    yield Figure(plots.errors_over_time(data), "Failed requests per second by outcome class.")


def _stage_row(stage: Stage) -> tuple[str, ...]:
    d = stage.duration_s
    return (
        stage.name,
        f"{stage.start_s:.0f}-{stage.end_s:.0f} s",
        f"{stage.due / d:,.1f}",
        f"{stage.completed / d:,.1f}",
        pct(stage.failed, stage.completed),
        *hist_cells(stage.latency),
    )


def _stages(data: ReportData) -> Iterator[Block]:
    yield Heading("Stages")
    yield Table(
        ("stage", "time", "offered /s", "achieved /s", "errors", *LATENCY_COLUMNS),
        tuple(_stage_row(s) for s in data.stages),
    )
    if len(data.stages) > 1:
        for stage in data.stages:
            yield Heading(f"Stage {stage.name}", 3)
            errors = {k: v for k, v in stage.errors.items() if k != "ok" and v}
            yield Paragraph(
                f"{stage.start_s:.0f}-{stage.end_s:.0f} s · {stage.completed:,} requests · "
                f"errors {pct(stage.failed, stage.completed)}"
                + (
                    " (" + ", ".join(f"{k} {v:,}" for k, v in errors.items()) + ")"
                    if errors
                    else ""
                )
            )
            if data.verdict and data.verdict.rows_of(stage.name):
                yield _verdict_rows(data.verdict.rows_of(stage.name))
    yield Heading("Latency percentile spectrum")
    yield Figure(
        distribution.percentile_spectrum(data),
        "Latency at each percentile, per stage; the x axis counts nines (90 %, 99 %, 99.9 % ...)"
        ", as HdrHistogram's plots do. Triangles mark SLA bounds at their percentile.",
    )


def _tag_table(values: Sequence[TagValue]) -> Table:
    total = sum(v.count for v in values)
    return Table(
        (values[0].name, "requests", "share", "errors", *LATENCY_COLUMNS),
        tuple(
            (v.value, f"{v.count:,}", pct(v.count, total), f"{v.errors:,}", *hist_cells(v.latency))
            for v in values
        ),
    )


def _tags(data: ReportData) -> Iterator[Block]:
    yield Heading("Per-tag breakdown")
    if not data.tags:
        yield Paragraph(
            "No tags were recorded. A workload with languages or popularity buckets tags each "
            "request, and `--capture-header X-Cache` tags each answer with its cache status."
        )
        return
    yield Paragraph(
        "Each tag name on its own: every tag combination holding a value is merged into it "
        "(histograms add exactly)."
    )
    for name, values in data.tags.items():
        yield Heading(f"By {name}", 3)
        yield _tag_table(values)
        yield Figure(distribution.tag_breakdown(values, data.sla_bounds), f"Latency by {name}.")


def _cache(data: ReportData) -> Iterator[Block]:
    yield Heading("Cache hit rate")
    name = data.cache_tag()
    target = data.target.cache_hit_ratio if data.target else None
    if name is None and (target is None or not target.values):
        yield Paragraph(
            "No cache status was recorded: capture the target's cache header with "
            "`--capture-header X-Cache`, or scrape its metrics."
        )
        return
    if name is not None:
        values = data.tags[name]
        hits = sum(v.count for v in values if v.value.upper().startswith("HIT"))
        total = sum(v.count for v in values)
        yield Paragraph(f"Whole run, from the `{name}` header: {pct(hits, total)} hits.")
    yield Figure(plots.cache_hit_rate(data), "Share of cache lookups that hit, per second.")


def _target(data: ReportData) -> Iterator[Block]:
    yield Heading("Target CPU and memory")
    target = data.target
    if target is None:
        yield Paragraph("Not scraped: this run collected no target metrics (target_metrics.jsonl).")
        return
    if not any(s.values for s in (*target.cpu, *target.memory)):
        yield Paragraph(
            f"The target's metrics were scraped ({target.rows} scrapes) but held no CPU or "
            "memory series."
        )
        return
    yield Figure(plots.target_resources(data), "From the target's own metrics, per scrape.")


def _generator(data: ReportData) -> Iterator[Block]:
    gen: Mapping[str, Any] = data.generator
    yield Heading("Generator health")
    if gen.get("bound"):
        yield Alert(
            "GENERATOR-BOUND: the generator could not keep its schedule, so latency and rate "
            "above describe the generator, not the target. " + "; ".join(gen.get("reasons", [])),
            "danger",
        )
    else:
        yield Paragraph("The generator kept its schedule: these numbers are the target's.")
    yield Paragraph(
        f"Schedule lag P99 {ms(gen.get('lag_p99_ms'))} ms, max {ms(gen.get('lag_max_ms'))} ms; "
        f"CPU at most {100 * float(gen.get('cpu_max', 0.0)):.0f} % of a core (the busiest worker)."
    )
    yield Figure(
        plots.generator_health(data),
        "Lag: how late requests were sent after their due time. In flight and backlog: "
        "requests sent and not answered, and requests due but still waiting for a connection.",
    )
