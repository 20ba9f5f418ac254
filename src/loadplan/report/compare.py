"""The regression gate's report: the rows as a table, the two runs overlaid, per tag and over
time, in Markdown (plots beside it) and one self-contained HTML page; and the terminal lines.

Example::

    md, page = write_comparison(compare_runs(base, new), Path("compare"))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from loadplan.analysis.compare.gate import Verdict
from loadplan.analysis.compare.runs import Comparison, Row
from loadplan.analysis.compare.samples import GroupSeconds
from loadplan.analysis.compare.stats import Difference, Figure, figures_of
from loadplan.report import html, markdown
from loadplan.report.document import Alert, Block, Heading, Paragraph, Table
from loadplan.report.document import Figure as FigureBlock
from loadplan.report.figure import Plot, draw_plot, log_ms

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

COMPARE_MD = "comparison.md"
COMPARE_HTML = "comparison.html"
BASE_COLOR, NEW_COLOR = "#4c72b0", "#c44e52"
_CHUNK = 256


def label_of(row: Row) -> str:
    stage = row.label or "(run)"
    return f"{stage} [{row.tag}]" if row.tag else stage


def value_text(figure: Figure, value: float | None) -> str:
    if value is None:
        return "-"
    if figure.percentile is not None:
        return f"{value:.2f} ms"
    if figure is Figure.THROUGHPUT:
        return f"{value:.1f}/s"
    if figure is Figure.CPU_PER_REQUEST:
        return f"{value:.3f} ms"
    return f"{value:.3%}"


def change_text(diff: Difference) -> str:
    if diff.change is None:
        return "-"
    if diff.figure.relative:
        interval = (
            ""
            if diff.low is None or diff.high is None
            else (f" [{diff.low:+.1%}, {diff.high:+.1%}]")
        )
        return f"{diff.change:+.1%}{interval}"
    scale = 100
    interval = (
        ""
        if diff.low is None or diff.high is None
        else (f" [{diff.low * scale:+.3f}, {diff.high * scale:+.3f}]")
    )
    return f"{diff.change * scale:+.3f} pt{interval}"


def headline(comparison: Comparison) -> str:
    code = comparison.exit_code
    failed = [r for r in comparison.rows if r.fails]
    if code == 1:
        names = ", ".join(f"{label_of(r)} {r.figure.value}" for r in failed[:4])
        more = f" and {len(failed) - 4} more" if len(failed) > 4 else ""
        return f"REGRESSED (exit 1): {names}{more}"
    if code == 3:
        stuck = next(
            (r for r in comparison.rows
             if r.tag == "" and r.threshold.gated and r.verdict is Verdict.INCONCLUSIVE),
            None,
        )  # fmt: skip
        named = f"{label_of(stuck)} {stuck.figure.value}: {stuck.reason}" if stuck else ""
        why = "; ".join(comparison.blockers) or named or "nothing could be compared"
        return f"INCONCLUSIVE (exit 3): {why}"
    return "NO REGRESSION (exit 0)"


def terminal_lines(comparison: Comparison) -> list[str]:
    """What ``loadplan compare`` prints: warnings first, the gated and changed rows, the
    headline last (all rows are in the report)."""
    lines = [f"warning: {w}" for w in comparison.warnings]
    lines += [f"note: {n}" for n in comparison.notes]
    lines.append(f"base {comparison.base}  vs  new {comparison.new}")
    width = max((len(label_of(r)) for r in comparison.rows), default=5)
    for row in comparison.rows:
        if row.tag and row.verdict in (Verdict.NO_CHANGE, Verdict.INCONCLUSIVE):
            continue  # tag rows are many: the terminal shows the ones that moved
        d = row.difference
        gate = row.threshold.describe() + ("" if row.threshold.gated else " (shown)")
        lines.append(
            f"{label_of(row):<{width}}  {row.figure.value:<15} {value_text(row.figure, d.base):>12}"
            f" -> {value_text(row.figure, d.new):>12}  {change_text(d):<30} {gate:<14}"
            f" {row.verdict.value.upper()}: {row.reason}"
        )
    lines.append(headline(comparison))
    return lines


def comparison_blocks(comparison: Comparison) -> list[Block]:
    level = {0: "ok", 1: "fail", 3: "warning"}[comparison.exit_code]
    blocks: list[Block] = [
        Heading("Performance comparison", 1),
        Paragraph(f"Base `{comparison.base}` against new `{comparison.new}`."),
        Alert(headline(comparison), level),  # type: ignore[arg-type]
    ]
    blocks += [Alert(w, "warning") for w in comparison.warnings]
    blocks.append(
        Paragraph(
            f"Each change has a {comparison.confidence:.0%} interval from a moving-block "
            "bootstrap over both runs' seconds (each replicate merges the drawn seconds' HDR "
            "intervals); a row regressed when its whole interval is on the worse side of no "
            "change"
            + (
                f" and of the spread of {len(comparison.baseline)} baseline runs"
                if comparison.baseline
                else ""
            )
            + " and reaches its threshold: a real change passes only when its interval shows it "
            "within the threshold. Latency is from each request's intended send time."
            + (
                " Target CPU per request and the target's cache hit rate come from its scraped "
                "counters, resampled the same way over the scrape intervals inside each stage."
                if any(r.figure.scraped for r in comparison.rows)
                else ""
            )
        )
    )
    blocks += [Paragraph(f"Note: {n}.") for n in comparison.notes]
    blocks.append(Heading("Per stage"))
    blocks.append(_table([r for r in comparison.rows if not r.tag]))
    tagged = [r for r in comparison.rows if r.tag]
    if tagged:
        blocks.append(Heading("Per tag"))
        blocks.append(_table(tagged))
    plots = [_latency_over_time(comparison)]
    bars = _tag_bars(comparison)
    if bars is not None:
        plots.append(bars)
    blocks.append(Heading("The two runs overlaid"))
    for plot in plots:
        blocks.append(FigureBlock(plot, plot.title))
    return blocks


def _table(rows: Sequence[Row]) -> Table:
    columns = ("row", "figure", "base", "new", "change [interval]", "threshold", "verdict")
    cells = []
    for row in rows:
        d = row.difference
        gate = row.threshold.describe() + ("" if row.threshold.gated else " (not gated)")
        cells.append(
            (
                label_of(row),
                row.figure.value,
                value_text(row.figure, d.base),
                value_text(row.figure, d.new),
                change_text(d),
                gate,
                f"{row.verdict.value}: {row.reason}",
            )
        )
    return Table(columns, tuple(cells))


def per_second(group: GroupSeconds, figure: Figure) -> list[float]:
    """``figure`` in each second of ``group`` (NaN where it has no data)."""
    out: list[float] = []
    for first in range(0, group.seconds, _CHUNK):
        rows = min(_CHUNK, group.seconds - first)
        weights = np.zeros((rows, group.seconds), dtype=np.int64)
        weights[np.arange(rows), first + np.arange(rows)] = 1
        out += [float(v) for v in figures_of(group, weights)[figure]]
    return out


def _latency_over_time(comparison: Comparison) -> Plot:
    def draw(fig: MplFigure, ax: Axes) -> None:
        for groups, color, name in (
            (comparison.base_groups, BASE_COLOR, "base"),
            (comparison.new_groups, NEW_COLOR, "new"),
        ):
            t: list[float] = []
            p50: list[float] = []
            p99: list[float] = []
            for (_label, tag), group in sorted(groups.items(), key=lambda kv: kv[1].start_s[0]):
                if tag:
                    continue
                t += [float(s) for s in group.start_s]
                p50 += per_second(group, Figure.P50)
                p99 += per_second(group, Figure.P99)
            order = np.argsort(t)
            ts = np.asarray(t)[order]
            ax.plot(ts, np.asarray(p99)[order], color=color, lw=1.5, label=f"{name} P99")
            ax.plot(ts, np.asarray(p50)[order], color=color, lw=1.0, ls=":", label=f"{name} P50")
        log_ms(ax)
        ax.set_xlabel("seconds from the run's start")
        ax.set_ylabel("latency, ms (log)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)

    return draw_plot("compare-latency", "P50 and P99 per second, both runs", 3.8, 1, draw)


def _tag_bars(comparison: Comparison) -> Plot | None:
    rows = [r for r in comparison.rows if r.tag and r.figure is Figure.P99]
    rows = [r for r in rows if r.difference.base is not None and r.difference.new is not None]
    if not rows:
        return None
    rows = rows[:30]

    def draw(fig: MplFigure, ax: Axes) -> None:
        x = np.arange(len(rows))
        base = [r.difference.base or math.nan for r in rows]
        new = [r.difference.new or math.nan for r in rows]
        ax.bar(x - 0.2, base, width=0.4, color=BASE_COLOR, label="base P99")
        ax.bar(x + 0.2, new, width=0.4, color=NEW_COLOR, label="new P99")
        ax.set_xticks(x, [label_of(r) for r in rows], rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("P99, ms")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)

    return draw_plot("compare-tags", "P99 per tag, both runs", 4.6, 1, draw)


def write_comparison(comparison: Comparison, out_dir: Path) -> tuple[Path, Path]:
    """Write comparison.md (plots beside it) and comparison.html into ``out_dir``."""
    (out_dir / markdown.PLOTS_DIR).mkdir(parents=True, exist_ok=True)
    blocks = comparison_blocks(comparison)
    for block in blocks:
        if isinstance(block, FigureBlock):
            (out_dir / markdown.plot_path(block.plot.name)).write_bytes(block.plot.png)
    md = out_dir / COMPARE_MD
    md.write_text(markdown.render(blocks), encoding="utf-8")
    page = out_dir / COMPARE_HTML
    page.write_text(html.render(blocks), encoding="utf-8")
    return md, page
