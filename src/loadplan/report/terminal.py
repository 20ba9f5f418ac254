"""The end-of-run summary printed to the terminal (``loadplan run`` and ``loadplan summary``).

A generator-bound run says so first: its numbers describe the generator, not the target.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadplan.report.cluster import cluster_line


def render_summary(summary: dict[str, Any], console: Console) -> None:
    gen = summary.get("generator", {})
    if gen.get("bound"):
        console.print(
            "[bold red]GENERATOR-BOUND:[/] these numbers describe the load generator, not the "
            "target. " + "; ".join(gen.get("reasons", [])),
            soft_wrap=True,
        )
    if not summary.get("complete", False):
        console.print(
            f"[bold yellow]PARTIAL RUN[/] ({summary.get('stop_reason', 'interrupted')}): "
            "totals cover the seconds recorded before it stopped.",
            soft_wrap=True,
        )
    degraded = summary.get("degraded")
    if degraded:
        console.print(
            f"[bold yellow]DEGRADED RUN[/] ({degraded.get('reason', 'a worker was lost')})",
            soft_wrap=True,
        )
    for event in summary.get("events", ()):
        if event.get("event") == "target unreachable":
            counts = ", ".join(f"{name} {n}" for name, n in event.get("errors", {}).items())
            console.print(
                f"[bold yellow]TARGET UNREACHABLE[/] {event['from_s']:g}-{event['to_s']:g} s "
                f"({counts})",
                soft_wrap=True,
            )
    req = summary["requests"]
    rate = summary["rate"]
    console.print(
        f"target {summary.get('target', '?')} · mode {summary.get('mode', '?')} · "
        f"{summary['duration_s']:.1f}s · workers {summary.get('workers', 1)}",
        highlight=False,
    )
    console.print(
        f"requests: due {req['due']} · sent {req['sent']} · completed {req['completed']} · "
        f"ok {req['ok']} · failed {req['failed']}",
        highlight=False,
    )
    console.print(
        f"rate: offered {rate['offered']:.1f}/s · achieved {rate['achieved']:.1f}/s",
        highlight=False,
    )
    err_rate = summary.get("error_rate")
    errors = {k: v for k, v in summary.get("errors", {}).items() if k != "ok"}
    err_text = ", ".join(f"{k} {v}" for k, v in errors.items()) or "none"
    pct = f"{err_rate:.3%}" if err_rate is not None else "n/a"
    console.print(f"errors: {pct} ({err_text})", highlight=False)

    table = Table(title=None, box=None, pad_edge=False)
    cols = ("p50", "p90", "p95", "p99", "p99.9", "max")
    table.add_column("ms")
    for c in cols:
        table.add_column(c, justify="right")
    for name, label in (
        ("latency_ms", "latency (from intended send)"),
        ("service_ms", "service time (from actual send)"),
        ("lag_ms", "schedule lag"),
    ):
        stats = summary.get(name, {})
        table.add_row(label, *(f"{stats[c]:.2f}" if c in stats else "-" for c in cols))
    console.print(table)
    # Per single tag (lang=ja, bucket=tail, x-cache=HIT); combinations are in summary.json.
    tags = summary.get("by_tag", {})
    if tags:
        tag_table = Table(box=None, pad_edge=False)
        for c in ("tag", "count", "errors", "p50", "p95", "p99", "max"):
            tag_table.add_column(c, justify="left" if c == "tag" else "right")
        for key, stats in tags.items():
            tag_table.add_row(
                key,
                str(stats["count"]),
                str(stats.get("errors", 0)),
                *(f"{stats[c]:.2f}" if c in stats else "-" for c in ("p50", "p95", "p99", "max")),
            )
        console.print(tag_table)
    off_cpu = gen.get("off_cpu_max_ms", 0.0)
    console.print(
        f"generator: lag p99 {gen.get('lag_p99_ms', 0):.2f} ms · max {gen.get('lag_max_ms', 0):.2f}"
        f" ms · cpu max {gen.get('cpu_max', 0):.0%} of a core"
        + (f" · off-CPU up to {off_cpu:.0f} ms in a second" if off_cpu >= 1 else ""),
        highlight=False,
    )
    cluster = summary.get("cluster")
    if cluster:
        console.print(cluster_line(cluster), highlight=False, soft_wrap=True)
