"""The capacity plan as a document: capacity-planning.md, its plots, and report.html's section.

It reads ``capacity.json`` (what ``loadplan capacity`` writes), as the run report reads
summary.json, so a plan can be rendered again without recomputing it. The guidelines at its end
are the same for every plan: how to read it, when the model does not apply, how to refresh it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loadplan.errors import RunDirError
from loadplan.report import html, markdown
from loadplan.report.document import Alert, Block, Figure, Heading, Paragraph, Table
from loadplan.report.figure import BOUND_COLOR, QUANTILE_COLORS, Plot, draw_plot, legend

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

CAPACITY_JSON = "capacity.json"
CAPACITY_MD = "capacity-planning.md"
CAPACITY_HTML = "capacity-planning.html"


def read_capacity(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"{path}: cannot read the capacity plan ({exc.strerror})"
        raise RunDirError(msg) from None
    except ValueError as exc:
        msg = f"{path}: not JSON ({exc}); run loadplan capacity again"
        raise RunDirError(msg) from None
    if not isinstance(data, dict) or "plan" not in data:
        msg = f"{path}: not a capacity plan (no 'plan'); run loadplan capacity again"
        raise RunDirError(msg)
    return data


def write_capacity_docs(plan: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write capacity-planning.md (plots beside it) and capacity-planning.html into ``out_dir``."""
    (out_dir / markdown.PLOTS_DIR).mkdir(parents=True, exist_ok=True)
    blocks = capacity_blocks(plan, level=1)
    for block in blocks:
        if isinstance(block, Figure):
            (out_dir / markdown.plot_path(block.plot.name)).write_bytes(block.plot.png)
    md = out_dir / CAPACITY_MD
    md.write_text(markdown.render(blocks), encoding="utf-8")
    page = out_dir / CAPACITY_HTML
    page.write_text(html.render(blocks), encoding="utf-8")
    return md, page


def headline(plan: Mapping[str, Any], growth: float = 2.0) -> str:
    """The line the suite and the demo end with: "2x growth: K instances (N+1), each at ..."."""
    rows = plan.get("plan") or []
    row = next((r for r in rows if abs(float(r["growth"]) - growth) < 1e-9), None)
    if row is None:
        return ""
    redundancy = int(plan.get("redundancy", 1))
    p95 = row.get("p95_ms")
    source = row.get("latency_source")
    how = f" {source}" if source in ("interpolated", "measured", "model") else ""
    latency = f", P95 {p95:.0f} ms{how}" if p95 is not None else ""
    return (
        f"{growth:g}x growth: {row['instances']} instances (N+{redundancy}), each at "
        f"{row['per_instance_qps']:,.0f} req/s{latency} "
        f"(max {plan['max_qps_under_slo']['value']:,.0f} req/s per instance under the SLA)"
    )


def capacity_blocks(plan: Mapping[str, Any], level: int = 2) -> list[Block]:
    """Every block of the plan; ``level`` 1 makes it a document, 2 a report section."""
    return [
        *_head(plan, level),
        *_max_qps(plan),
        *_growth(plan),
        *_latency(plan),
        *_usl(plan),
        *_cache(plan),
        *_bottleneck(plan),
        *_steps(plan),
        *(GUIDELINES if level == 1 else ()),
    ]


def _head(plan: Mapping[str, Any], level: int) -> Iterator[Block]:
    yield Heading("Capacity plan", level)
    if plan.get("command"):
        yield Paragraph(f"Command: `{plan['command']}`")
    runs = ", ".join(f"`{r}`" for r in plan.get("runs", []))
    yield Paragraph(
        f"From {runs} against `{plan.get('target', '?')}`; SLA: {plan.get('slo_text', '?')}. "
        f"Every figure names the run and step it came from."
    )
    for reason in plan.get("inconclusive", []):
        yield Alert(f"INCONCLUSIVE: {reason}", "danger")
    for note in plan.get("notes", []):
        yield Alert(note, "warning")
    line = headline(plan)
    if line:
        yield Alert(line, "ok")


def _qps(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.0f}"


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f}"


def _max_qps(plan: Mapping[str, Any]) -> Iterator[Block]:
    found = plan.get("max_qps_under_slo")
    if not found:
        return
    yield Heading("Max QPS per instance under the SLA", 3)
    yield Paragraph(
        f"**{_qps(found['value'])} req/s** (95 % interval {_qps(found.get('low'))} - "
        f"{_qps(found.get('high'))}). {found.get('method', '')}"
    )
    knee = plan.get("knee")
    if knee:
        yield Paragraph(f"Knee: {knee.get('text', _qps(plan.get('knee_qps')) + ' req/s')}")
    cpu = plan.get("cpu_bound")
    if cpu:
        yield Paragraph(f"{cpu['text']}.")


def _growth(plan: Mapping[str, Any]) -> Iterator[Block]:
    rows = plan.get("plan") or []
    if not rows:
        return
    yield Heading("Instances for growth", 3)
    yield Paragraph(
        f"Today's peak {_qps(plan.get('peak_qps'))} req/s ({plan.get('peak_source', '?')}); "
        f"headroom {float(plan.get('headroom', 0.3)):.0%}; redundancy "
        f"N+{plan.get('redundancy', 1)}. {plan.get('sizing_rule', '')}"
    )
    yield Table(
        ("growth", "peak req/s", "instances", "req/s per instance", "utilisation",
         "P95 ms", "P99 ms", "latency from", "one lost: req/s per instance"),
        tuple(
            (
                f"{float(r['growth']):g}x",
                _qps(r["peak_qps"]),
                str(r["instances"]),
                _qps(r["per_instance_qps"]),
                f"{float(r['utilisation']):.0%}",
                _band(r.get("p95_ms"), r.get("p95_ms_low"), r.get("p95_ms_high")),
                _band(r.get("p99_ms"), r.get("p99_ms_low"), r.get("p99_ms_high")),
                r.get("latency_from") or "-",
                _qps(r.get("degraded_per_instance_qps")),
            )
            for r in rows
        ),
    )  # fmt: skip
    yield Figure(_instances_plot(rows), "Instances needed for each growth factor (with N+k).")


def _band(value: Any, low: Any, high: Any) -> str:
    if value is None:
        return "-"
    if low is None or high is None:
        return _ms(value)
    return f"{float(value):.1f} ({float(low):.1f}-{float(high):.1f})"


def _latency(plan: Mapping[str, Any]) -> Iterator[Block]:
    steps = plan.get("steps") or []
    if not steps:
        return
    yield Heading("Latency against load", 3)
    prediction = plan.get("prediction")
    if prediction and prediction.get("valid") is False:
        yield Alert(prediction.get("text", ""), "warning")
    elif prediction:
        yield Paragraph(prediction.get("text", ""))
    shown = (
        " and the validated queueing model's prediction"
        if _curve(plan)
        else "; no model curve (no validated latency model)"
    )
    yield Figure(
        _latency_plot(plan),
        "Whole-step P95/P99 per step (transient seconds excluded), the SLA bounds, the "
        f"knee{shown}.",
    )


def _curve(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    prediction = plan.get("prediction") or {}
    return list(prediction.get("curve", [])) if prediction.get("valid", True) else []


def _usl(plan: Mapping[str, Any]) -> Iterator[Block]:
    usl = plan.get("usl")
    yield Heading("Scalability (Universal Scalability Law)", 3)
    if not usl:
        yield Paragraph(plan.get("usl_note") or "No USL fit.")
        return
    yield Paragraph(plan.get("usl_note", ""))
    yield Table(
        ("coefficient", "value", "95 % interval"),
        tuple(
            (name, _num(usl.get(key)), _interval(usl.get(f"{key}_ci")))
            for name, key in (
                ("sigma (contention)", "sigma"),
                ("kappa (coherency)", "kappa"),
                ("lambda (X at N=1)", "lambda"),
                ("N* (peak concurrency)", "n_star"),
                ("X max (peak throughput)", "x_max"),
                ("X roof (lambda/sigma)", "x_roof"),
            )
        ),
    )
    yield Figure(_usl_plot(plan), "Throughput against concurrency: measured points and the fit.")


def _num(value: Any) -> str:
    if value is None:
        return "- (none in the tested range)"
    v = float(value)
    return f"{v:.4g}"


def _interval(ci: Any) -> str:
    if not ci or ci[0] is None:
        return "-"
    return f"{float(ci[0]):.4g} - {float(ci[1]):.4g}"


def _cache(plan: Mapping[str, Any]) -> Iterator[Block]:
    cache = plan.get("cache")
    yield Heading("Cache sizing", 3)
    if not cache:
        yield Paragraph(plan.get("cache_note") or "No cache sizing.")
        return
    measured = cache.get("measured_hit_rate")
    first = (
        f"The workload has {cache['distinct_requests']:,} distinct requests; an LRU cache's "
        "expected hit rate by size (Che's approximation) is below."
    )
    parts = [first]
    if measured is not None:
        parts.append(
            f"Measured in the warm stages: {measured:.1%} ({cache.get('measured_from')}), what "
            f"an LRU of {cache['effective_size']:,} entries would give."
        )
    if cache.get("size_for_floor") is not None:
        parts.append(
            f"The SLA's floor of {cache['floor']:.0%} needs at least "
            f"{cache['size_for_floor']:,} entries per cache."
        )
    yield Paragraph(" ".join(parts))
    curve = cache.get("curve", [])
    shown = [p for p in curve if p["size"] >= 100][:: max(1, len(curve) // 10)]
    yield Table(
        ("cache entries", "expected hit rate"),
        tuple((f"{p['size']:,}", f"{p['hit_rate']:.1%}") for p in shown),
    )


def _bottleneck(plan: Mapping[str, Any]) -> Iterator[Block]:
    found = plan.get("bottleneck")
    if not found:
        return
    yield Heading("What breaks first", 3)
    yield Paragraph(f"**{found['first']}**")
    yield Paragraph("\n".join(f"- {line}" for line in found.get("evidence", [])))
    recommendations = plan.get("recommendations") or []
    if recommendations:
        yield Heading("Recommendations", 3)
        yield Paragraph("\n".join(f"- {line}" for line in recommendations))


def _steps(plan: Mapping[str, Any]) -> Iterator[Block]:
    steps = plan.get("steps") or []
    if not steps:
        return
    yield Heading("Steps measured", 3)
    yield Table(
        ("step", "offered req/s", "achieved", "P95 ms", "P99 ms", "errors", "target CPU",
         "CPU ms/req", "cache hit", "SLA"),
        tuple(
            (
                s.get("source", s["label"]),
                _qps(s["offered_qps"]),
                _qps(s["achieved_qps"]),
                _ms(s["p95_ms"]),
                _ms(s["p99_ms"]),
                "-" if s["error_rate"] is None else f"{s['error_rate']:.2%}",
                "-" if s["cpu_cores"] is None else f"{s['cpu_cores']:.2f}",
                "-" if s.get("cpu_ms_per_request") is None else f"{s['cpu_ms_per_request']:.3f}",
                "-" if s["cache_hit_rate"] is None else f"{s['cache_hit_rate']:.1%}",
                "; ".join(s["breaks"]) or "held",
            )
            for s in steps
        ),
    )  # fmt: skip


def _instances_plot(rows: Sequence[Mapping[str, Any]]) -> Plot:
    def draw(fig: MplFigure, ax: Axes) -> None:
        growth = [f"{float(r['growth']):g}x" for r in rows]
        ax.bar(growth, [int(r["instances"]) for r in rows], color=QUANTILE_COLORS["p50"])
        for i, r in enumerate(rows):
            ax.annotate(str(r["instances"]), (i, int(r["instances"])), ha="center", va="bottom")
        ax.set_ylabel("instances")
        ax.set_xlabel("growth over today's peak")

    return draw_plot("capacity-instances", "Instances for growth", 3.0, 1, draw)


def _latency_plot(plan: Mapping[str, Any]) -> Plot:
    steps = plan.get("steps") or []
    bounds = plan.get("slo_ms") or {}

    def draw(fig: MplFigure, ax: Axes) -> None:
        qps = [float(s["offered_qps"]) for s in steps]
        for key in ("p95", "p99"):
            values = [s[f"{key}_ms"] for s in steps]
            ax.plot(qps, values, "o-", color=QUANTILE_COLORS[key], label=f"{key} measured")
            if key in bounds:
                ax.axhline(bounds[key], color=QUANTILE_COLORS[key], ls="--", lw=1,
                           label=f"{key} bound")  # fmt: skip
        curve = _curve(plan)
        if curve:
            xs = [float(p["qps"]) for p in curve]
            for key in ("p95", "p99"):
                ys = [float(p.get(f"{key}_ms") or np.nan) for p in curve]
                ax.plot(xs, ys, ":", color=QUANTILE_COLORS[key], label=f"{key} predicted")
        if plan.get("knee_qps") is not None:
            ax.axvline(float(plan["knee_qps"]), color="#8c8c8c", ls="-.", lw=1, label="knee")
        found = plan.get("max_qps_under_slo")
        if found:
            ax.axvline(float(found["value"]), color=BOUND_COLOR, lw=1.5, label="max under SLA")
        ax.set_yscale("log")
        ax.set_ylabel("latency, ms (log)")
        ax.set_xlabel("offered load, req/s")
        legend(ax)

    return draw_plot("capacity-latency", "Latency against load", 4.0, 1, draw)


def _usl_plot(plan: Mapping[str, Any]) -> Plot:
    usl = plan["usl"]
    points = usl.get("points", [])

    def draw(fig: MplFigure, ax: Axes) -> None:
        n = np.array([float(p["n"]) for p in points])
        x = np.array([float(p["x"]) for p in points])
        ax.plot(n, x, "o", color=QUANTILE_COLORS["p50"], label="measured")
        grid = np.linspace(max(min(n.min(), 1.0), 1e-3), n.max() * 1.5, 200)
        sigma, kappa, lam = float(usl["sigma"]), float(usl["kappa"]), float(usl["lambda"])
        fit = lam * grid / (1 + sigma * (grid - 1) + kappa * grid * (grid - 1))
        ax.plot(grid, fit, "-", color=QUANTILE_COLORS["p95"], label="USL fit")
        band = usl.get("band")
        if band:
            ax.fill_between(
                [float(b["n"]) for b in band],
                [float(b["low"]) for b in band],
                [float(b["high"]) for b in band],
                color=QUANTILE_COLORS["p95"],
                alpha=0.2,
                label="95 % band",
            )
        if usl.get("x_roof") is not None:
            ax.axhline(float(usl["x_roof"]), color="#8c8c8c", ls="--", lw=1, label="X roof")
        ax.set_xlabel(usl.get("n_label", "concurrency N"))
        ax.set_ylabel("throughput, req/s")
        legend(ax)

    return draw_plot("capacity-usl", "Throughput against concurrency", 4.0, 1, draw)


GUIDELINES: tuple[Block, ...] = (
    Heading("Scaling guidelines", 2),
    Heading("How to read the plan", 3),
    Paragraph(
        "- **Max QPS per instance under the SLA** is the highest offered load at which every "
        "`[slo]` bound held over a whole step (its first seconds left out as warm-up), "
        "interpolated between the last step that held and the first that did not. Its interval "
        "comes from resampling the step's seconds: narrow when the steps were long and steady.\n"
        "- **Instances** = ceil(peak x growth / (max QPS x (1 - headroom))) + redundancy. With "
        "all instances up each runs below `1 - headroom` of its capacity; with `redundancy` "
        "instances lost the rest still hold the peak at or under the measured max.\n"
        "- **P95/P99** at each instance's load are the measured steps' whole-step values, "
        "interpolated between the two steps around that load (made monotone first: a step "
        "faster than the one below it is read as noise); the column *latency from* names the "
        "steps. The queueing model speaks only beyond the measured steps, and only when, fitted "
        "on the steps at or under 60 % of the max, it put the max within 10 % and the later "
        "steps' P95 within 15 %; otherwise the plan says it was refused, with the numbers.\n"
        "- **The CPU bound** (when the target's CPU was scraped) is the utilisation law: at "
        "most cores / CPU-per-request requests per second. It is a ceiling, never the "
        "capacity: the SLA usually breaks first.\n"
        "- **What breaks first** names the resource that ran out between the last good and "
        "first bad step: fix that one first, then measure again."
    ),
    Heading("When the model does not apply", 3),
    Paragraph(
        "- The run was generator-bound, or the target shared its cores with the generator or "
        "other jobs: the figures describe the machine, not the service.\n"
        "- Instances are not independent: a shared database, cache or lock limits the fleet "
        "before each instance reaches its own max (the USL's kappa > 0 says so for concurrency "
        "within one instance; across instances only a multi-instance run can).\n"
        "- Traffic unlike the measured workload: another query mix, cache hit rate or payload "
        "size changes the cost per request. Per-instance caches each see 1/N of the traffic: "
        "for the same hit rate, each needs the size the cache section gives.\n"
        "- Loads beyond the tested range: only a latency model that passed its out-of-sample "
        "check says anything there, and it extrapolates a fit; the staircase should pass the "
        "max, so that a bad step bounds it from above."
    ),
    Heading("How to refresh it for a new build", 3),
    Paragraph(
        "Run the same plan (same seed and workload) against the new build, with a breakpoint "
        "or step stage that passes the expected max, then `loadplan capacity RUN_DIR --peak "
        "QPS` (add the old run's directory to compare, or a concurrency-sweep run for the USL "
        "fit). Keep the run directories: the plan can be made again from them at any time."
    ),
)
