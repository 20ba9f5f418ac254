"""The latency model's out-of-sample check over stored runs, as one table. Offline: no load.

For each run directory (or comma-joined group of directories planned together, such as a
staircase and its sweep) it makes the capacity plan as ``loadplan capacity`` does and prints the
model's check: the measured max QPS under the SLA, the model's, the error (limit 10 %), the worst
held-out P95 error (limit 15 %) and the verdict, then how many runs passed.

Usage::

    .venv/bin/python bench/model_check.py /work/data/capacity-runs/run-{1..8}
    .venv/bin/python bench/model_check.py runs/steps,runs/sweep --json
    .venv/bin/python bench/model_check.py RUN_DIR --rate-slack 2   # a wider grid for μ
    .venv/bin/python bench/model_check.py RUN_DIR --truth 8x50     # the server's own c and μ
    .venv/bin/python bench/model_check.py RUN_DIR ... --spread      # P95 per rate across runs

``--truth CxMU`` checks, instead of the fit, the model with the target's true server count and
service rate (known by construction for bench/capacity_staircases.py's server: 8 x 50 req/s)
and the fit's no-wait latency: whether the model's *form* can describe the run, apart from
whether the low steps can find its parameters. ``--spread`` prints, for each planned rate, the
lowest and highest whole-step P95 over the runs given: how far the measurement itself moves
between runs of one target, which bounds how close any model can come.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadplan.analysis.capacity import queueing
from loadplan.analysis.capacity.plan import CapacityOptions, CapacityPlan, plan_capacity
from loadplan.analysis.capacity.steps import collect_steps
from loadplan.analysis.capacity.validation import (
    HeldOut,
    ModelCheck,
    failures,
    worst_held_out,
)
from loadplan.analysis.judge import judge_run
from loadplan.errors import LoadplanError
from loadplan.plan.slo import PERCENTILES
from loadplan.results.result import RunResult


def plan_of(group: str) -> CapacityPlan:
    """The capacity plan made from the comma-joined run directories ``group``."""
    results = [RunResult.load(Path(p)) for p in group.split(",") if p]
    # The peak only sizes the fleet; the model check does not depend on it.
    return plan_capacity(results, CapacityOptions(peak_qps=1.0))


def check_of(group: str) -> ModelCheck:
    """The model check of the plan made from the comma-joined run directories ``group``."""
    return plan_of(group).model_check


def spread(groups: list[str]) -> str:
    """Per planned step rate, the lowest and highest whole-step P95 (ms) over the runs: the
    steps only, read as the plan reads them, with no model fitted."""
    p95s: dict[float, list[float]] = {}
    for group in groups:
        for path in (p for p in group.split(",") if p):
            result = RunResult.load(Path(path))
            steps = collect_steps(judge_run(result).scenario, result.seconds(), path)
            for step in steps:
                value = step.figures().percentile_ms(95.0)
                if value is not None:
                    p95s.setdefault(step.planned_qps, []).append(value)
    lines = ["| planned req/s | runs | lowest P95 ms | highest P95 ms | highest / lowest |",
             "|---:|---:|---:|---:|---:|"]  # fmt: skip
    for rate, values in sorted(p95s.items()):
        low, high = min(values), max(values)
        lines.append(
            f"| {rate:,.0f} | {len(values)} | {low:.1f} | {high:.1f} | {high / low - 1:+.0%} |"
        )
    return "\n".join(lines)


def truth_check(capacity: CapacityPlan, servers: int, rate: float) -> ModelCheck:
    """The check's figures for the model with ``servers`` x ``rate`` in place of the fit (its
    no-wait latency and form kept): its max QPS and its P95 at the same held-out steps."""
    check = capacity.model_check
    if check.model is None:
        return check
    truth = replace(check.model, servers=servers, rate=rate, alike=(), region_open=False)
    slo = capacity.plan.slo
    bounds = {PERCENTILES[k]: v for k, v in slo.latency_bounds().items()} if slo else {}
    predicted = truth.max_qps(bounds) if bounds else truth.capacity_qps
    held_out = tuple(
        HeldOut(h.source, h.offered_qps, h.measured_ms, truth.percentile_ms(h.offered_qps, 95.0))
        for h in check.held_out
    )
    twin = replace(check, model=truth, predicted_max=predicted, held_out=held_out, alike_max=None)
    failed = failures(twin)  # the plan's own verdict, so a lower-bound max is judged as it is
    return replace(twin, valid=not failed, reason="; ".join(failed))


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
    parser.add_argument(
        "--truth",
        default=None,
        metavar="CxMU",
        help="check the model with C servers of MU req/s (the target's own) instead of the fit",
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="print each planned rate's lowest and highest P95 over the runs instead",
    )
    args = parser.parse_args(argv)
    if args.spread:
        print(spread(args.runs))
        return 0
    truth = None
    if args.truth is not None:
        servers, _, rate = args.truth.partition("x")
        truth = (int(servers), float(rate))
    if args.rate_slack is not None:
        # An experiment on the fit's grid, not a setting loadplan offers: the bench sets the
        # module's bounds for this process only.
        queueing.RATE_SLACK = args.rate_slack
        queueing.RATE_STEPS = round((args.rate_slack - 1) * 100) + 1
    rows = []
    for group in args.runs:
        try:
            capacity = plan_of(group)
            check = capacity.model_check if truth is None else truth_check(capacity, *truth)
            rows.append(row(group, check))
        except LoadplanError as exc:
            print(f"model_check: {group}: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
