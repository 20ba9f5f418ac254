"""The verdict table and the per-stage table, printed at the end of a staged run.

Both read the JSON forms in summary.json, so ``loadplan summary RUN_DIR`` prints the same tables
from disk as the run printed live.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

LOG_WIDTH = 132
_RESULT = {True: "[green]PASS[/]", False: "[bold red]FAIL[/]", None: "[dim]-[/]"}


def _ms(stats: dict[str, Any], key: str) -> str:
    value = stats.get(key)
    return "-" if value is None else f"{value:.1f}"


def _print_wide(table: Table, console: Console) -> None:
    """Logs are read wide: off a terminal, tables get 132 columns rather than wrapping at 80."""
    if console.is_terminal:
        console.print(table)
        return
    width = console.width
    console.width = max(width, LOG_WIDTH)
    try:
        console.print(table)
    finally:
        console.width = width


def render_stages(stages: dict[str, Any], console: Console) -> None:
    """One line per stage label: planned and achieved rate, percentiles, errors."""
    table = Table(box=None, pad_edge=False, title=None)
    for col in ("stage", "planned", "offered/s", "achieved/s", "p50", "p95", "p99", "errors"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for label, entry in stages.items():
        planned = entry["planned"]
        lo, hi, users = planned["rate_from"], planned["rate_to"], planned.get("users")
        if users is not None:
            plan_text = f"{users} users"
        else:
            plan_text = "-" if lo is None else f"{lo:g}/s" if lo == hi else f"{lo:g}->{hi:g}/s"
        if not entry.get("ran"):
            table.add_row(label, plan_text, "-", "-", "-", "-", "-", "not run")
            continue
        lat, rate = entry["latency_ms"], entry["rate"]
        err = entry.get("error_rate")
        table.add_row(
            label,
            plan_text,
            f"{rate['offered']:.0f}",
            f"{rate['achieved']:.0f}",
            _ms(lat, "p50"),
            _ms(lat, "p95"),
            _ms(lat, "p99"),
            "-" if err is None else f"{err:.2%}",
        )
    console.print("[bold]stages[/] (latency ms, from intended send)")
    _print_wide(table, console)


def render_verdict(verdict: dict[str, Any] | None, console: Console) -> None:
    """The table, then one line that says pass, fail or inconclusive and why."""
    if verdict is None:
        return
    table = Table(box=None, pad_edge=False)
    for col in ("stage", "objective", "bound", "measured", "result"):
        table.add_column(col)
    for row in verdict["rows"]:
        table.add_row(
            row["stage"], row["objective"], row["bound"], row["measured"], _RESULT[row["pass"]]
        )
    console.print("[bold]verdict[/]")
    _print_wide(table, console)
    failed = [r for r in verdict["rows"] if r["pass"] is False]
    if verdict["pass"] is None:
        why = "; ".join(verdict.get("inconclusive", [])) or "no objective could be judged"
        console.print(f"[bold yellow]VERDICT: INCONCLUSIVE[/] (exit 3): {why}", soft_wrap=True)
    elif verdict["pass"]:
        judged = sum(1 for r in verdict["rows"] if r["pass"] is not None)
        held = "1 objective held" if judged == 1 else f"{judged} objectives held"
        console.print(f"[bold green]VERDICT: PASS[/] (exit 0): {held}")
    else:
        names = ", ".join(f"{r['stage']} {r['objective']}" for r in failed[:4])
        more = f" and {len(failed) - 4} more" if len(failed) > 4 else ""
        console.print(
            f"[bold red]VERDICT: FAIL[/] (exit 1): {len(failed)} failed: {names}{more}",
            soft_wrap=True,
        )
