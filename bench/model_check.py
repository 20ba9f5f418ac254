"""The latency model's out-of-sample check over stored runs, as one table. Offline: no load.

For each run directory (or comma-joined group of directories planned together, such as a
staircase and its sweep) it makes the capacity plan as ``loadplan capacity`` does and prints the
model's check: the measured max QPS under the SLA, the model's, the error (limit 10 %), the worst
held-out P95 error (limit 15 %) and the verdict, then how many runs passed.

Usage::

    .venv/bin/python bench/model_check.py /work/data/capacity-runs/run-{1..8}
    .venv/bin/python bench/model_check.py runs/steps,runs/sweep --json
    .venv/bin/python bench/model_check.py RUN_DIR --rate-slack 2   # a wider grid for μ
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from loadplan.analysis.capacity import queueing
from loadplan.analysis.capacity.plan import CapacityOptions, plan_capacity
from loadplan.analysis.capacity.validation import ModelCheck, worst_held_out
from loadplan.errors import LoadplanError
from loadplan.results.result import RunResult


def check_of(group: str) -> ModelCheck:
    """The model check of the plan made from the comma-joined run directories ``group``."""
    results = [RunResult.load(Path(p)) for p in group.split(",") if p]
    # The peak only sizes the fleet; the model check does not depend on it.
    return plan_capacity(results, CapacityOptions(peak_qps=1.0)).model_check


def row(group: str, check: ModelCheck) -> dict[str, Any]:
    worst = worst_held_out(check.held_out)
    model = check.model
    return {
        "run": group,
        "measured_max": round(check.measured_max, 1),
        "model_max": None if check.predicted_max is None else round(check.predicted_max, 1),
        "max_error": None if check.max_error is None else round(check.max_error, 4),
        "worst_p95": None if worst is None else worst.source.rsplit(":", 1)[-1],
        "worst_p95_qps": None if worst is None else round(worst.offered_qps, 1),
        "worst_p95_error": None if worst is None or worst.error is None else round(worst.error, 4),
        "model": None if model is None else f"{model.servers} x {model.rate:.1f} req/s",
        "alike_servers": None if model is None else list(model.servers_range()),
        "alike_max": None if check.alike_max is None else [round(v, 1) for v in check.alike_max],
        "pinned": check.pinned,
        "valid": check.valid,
        "reason": None if check.valid else check.reason,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        (
            "| run | measured max | model max | max error | worst held-out P95 | model "
            "| fits alike: servers, max | verdict |"
        ),
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        worst = (
            "-" if r["worst_p95"] is None
            else f"{_pct(r['worst_p95_error'])} at {r['worst_p95_qps']:,.0f} req/s"
            if r["worst_p95_error"] is not None
            else f"saturated at {r['worst_p95_qps']:,.0f} req/s"
        )  # fmt: skip
        model_max = "-" if r["model_max"] is None else f"{r['model_max']:,.1f}"
        alike = (
            "-" if r["alike_max"] is None
            else f"{r['alike_servers'][0]}-{r['alike_servers'][1]}, "
            f"{r['alike_max'][0]:,.0f}-{r['alike_max'][1]:,.0f}"
            f"{'' if r['pinned'] else ' (not pinned)'}"
        )  # fmt: skip
        lines.append(
            f"| {r['run']} | {r['measured_max']:,.1f} | {model_max} | {_pct(r['max_error'])} "
            f"| {worst} | {r['model'] or '-'} | {alike} "
            f"| {'passes' if r['valid'] else 'refused'} |"
        )
    passed = sum(1 for r in rows if r["valid"])
    lines.append("")
    lines.append(f"passed: {passed} of {len(rows)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("runs", nargs="+", help="run directories; DIR,DIR planned together")
    parser.add_argument("--json", action="store_true", help="one JSON document instead")
    parser.add_argument(
        "--rate-slack",
        type=float,
        default=None,
        help="let μ reach this many times one over the lowest step's mean latency (the fit's "
        "grid, 1.25 in loadplan; in steps of 1 %%): does a fit alike open at the grid's edge "
        "close, or widen, on a wider grid?",
    )
    args = parser.parse_args(argv)
    if args.rate_slack is not None:
        # An experiment on the fit's grid, not a setting loadplan offers: the bench sets the
        # module's bounds for this process only.
        queueing.RATE_SLACK = args.rate_slack
        queueing.RATE_STEPS = round((args.rate_slack - 1) * 100) + 1
    rows = []
    for group in args.runs:
        try:
            rows.append(row(group, check_of(group)))
        except LoadplanError as exc:
            print(f"model_check: {group}: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
