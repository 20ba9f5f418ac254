"""Record staircases of the known-capacity server, then check the latency model on each.

The server (tests/support/capacity_server.py) is c slots of d seconds, FIFO: an M/D/c queue under
loadplan's Poisson arrivals, whose truth tests/support/mdc.py simulates. Each staircase is a
``loadplan run`` of a step stage (one seed per run) against a fresh server process, the server
on one core and loadplan on the other (taskset), one run at a time; afterwards
``bench/model_check.py``'s table says, per run, whether the model fitted on the steps under 60 %
of the max held out of sample and whether those steps pinned it.

Nothing else should run meanwhile: the model's trouble on real runs is the step-to-step jitter
of the low-load latency, which a busy machine makes. All traffic goes to 127.0.0.1.

Usage::

    .venv/bin/python bench/capacity_staircases.py --out runs/staircases --runs 8 --step 20s
    .venv/bin/python bench/capacity_staircases.py --out runs/more --runs 4 --first-seed 9 --step 20s
    .venv/bin/python bench/capacity_staircases.py --out runs/staircases --reuse   # table only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "support" / "capacity_server.py"
BIN = Path(sys.executable).parent

PLAN = """\
[target]
url = "http://127.0.0.1:{port}"

[load]
rate = 150
arrivals = "poisson"
seed = {seed}

[[stages]]
type = "step"
name = "stairs"
from = {start}
to = {stop}
step = {step}
step_duration = "{duration}"

[slo]
p95 = "{p95}"

[generator]
lag_bound = "50ms"
"""


def start_server(slots: int, service: float, core: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        ["taskset", "-c", core, sys.executable, str(SERVER), "--slots", str(slots),
         "--service", str(service)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        msg = f"the capacity server did not start: {line!r}"
        raise SystemExit(msg)
    return proc, int(line.split()[1])


def record(args: argparse.Namespace, seed: int) -> Path:
    """One staircase against a fresh server; returns its run directory."""
    out: Path = args.out / f"run-{seed}"
    proc, port = start_server(args.slots, args.service, args.server_core)
    try:
        plan = args.out / f"plan-{seed}.toml"
        plan.write_text(
            PLAN.format(port=port, seed=seed, start=args.start, stop=args.stop, step=args.step_qps,
                        duration=args.step, p95=args.p95),
            encoding="utf-8",
        )  # fmt: skip
        done = subprocess.run(
            ["taskset", "-c", args.generator_core, str(BIN / "loadplan"), "run", str(plan),
             "--out", str(out), "--no-report"],
            capture_output=True, text=True, timeout=3600, check=False,
        )  # fmt: skip
        # The staircase runs past the capacity on purpose: exit 1 (its last steps break).
        print(f"run-{seed}: exit {done.returncode}", flush=True)
        if done.returncode not in (0, 1):
            print(f"run-{seed}: {done.stderr.strip()[-500:]}", file=sys.stderr)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=8, help="staircases, one seed each")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="seeds FIRST..FIRST+RUNS-1 (a set not recorded before)",
    )
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--service", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--stop", type=int, default=420)
    parser.add_argument("--step-qps", type=int, default=40)
    parser.add_argument("--step", default="5s", help="each step's duration")
    parser.add_argument("--p95", default="60ms")
    parser.add_argument("--generator-core", default="0")
    parser.add_argument("--server-core", default="1")
    parser.add_argument("--reuse", action="store_true", help="check the runs already in --out")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.reuse:
        runs = sorted(
            (p for p in args.out.glob("run-*") if p.is_dir()),
            key=lambda p: int(p.name.removeprefix("run-")),
        )
    else:
        seeds = range(args.first_seed, args.first_seed + args.runs)
        runs = [record(args, seed) for seed in seeds]
        print(f"recorded {len(runs)} staircases in {time.monotonic() - started:.0f} s")
    # A run that failed before writing anything has no directory to plan from.
    runs = [run for run in runs if (run / "meta.json").exists()]
    sys.path.insert(0, str(ROOT / "bench"))
    from model_check import check_of, row, table

    rows = [row(str(run), check_of(str(run))) for run in runs]
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
