"""How often the regression gate cries wolf, and how often it catches a real change. Re-runnable.

Against the reference service (``loadplan target serve``, cache off so that a run does not warm
the next one), this runs N rounds of three runs each with the same plan and seed:

    A   the service with ``--added-latency BASE``
    A'  the same service again (an A/A pair with A: any exit 1 is a false positive)
    B   a second service whose added latency makes its P99 CHANGE above A's (the pair (A, B)
        should exit 1); calibrated first by measuring: B starts with CHANGE x A's P99 added,
        and its added latency is scaled by the shortfall until a run of B measures within
        CALIBRATION_TOLERANCE of +CHANGE over A's calibration run (the service's sleep does
        not add exactly what it is asked to at the P99, so the first guess fell short)

and prints the false-positive rate (A/A pairs that exit 1), the detection rate ((A, B) pairs that
exit 1, and those whose whole-run P99 row regressed: a constant added delay of 10 % of P99 is
more than 10 % of P50 and P95, so P95 rows can fail the gate first), how many pairs were
inconclusive (exit 3), and each pair's measured P99 change.
Every request goes to 127.0.0.1; every run is bounded by ``--duration``.

Usage (it sends load: take the machine's load lock; ``--reuse`` sends none)::

    flock /work/load.lock nice -n 19 .venv/bin/python bench/regression_gate.py     # 20 rounds
    ... bench/regression_gate.py --pairs 3 --duration 12s                          # a quick look
    ... --fail-on p99=+5%      # the gate's thresholds, passed to loadplan compare
    ... --out DIR; then --reuse DIR   # the same kept runs compared again (a changed gate rule)
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from loadplan.analysis.compare.gate import Verdict, parse_fail_on
from loadplan.analysis.compare.runs import compare_runs
from loadplan.analysis.compare.stats import Difference, Figure
from loadplan.report.compare import change_text, label_of
from loadplan.results.result import RunResult
from loadplan.units import parse_duration

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "examples" / "reference-service.toml"
LOADPLAN = [sys.executable, "-m", "loadplan"]
READY = re.compile(r"ready at (http://\S+)")


class Service:
    """One reference service on 127.0.0.1, a free port."""

    def __init__(self, added_latency: str, docs: int, core: str) -> None:
        args = ["target", "serve", "--port", "0", "--docs", str(docs), "--cache", "none",
                "--added-latency", added_latency]  # fmt: skip
        cmd = ["taskset", "-c", core, *LOADPLAN, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            match = READY.search(line)
            if match:
                self.url = match.group(1)
                return
        msg = "the reference service exited before it was ready"
        raise RuntimeError(msg)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate(timeout=30)


@dataclass(frozen=True)
class Pair:
    """One gate decision on two kept runs, and the rows the bench's report quotes."""

    kind: str
    code: int
    p99: Difference | None
    """The whole-run P99 row's change and interval."""
    p99_regressed: bool
    failed: tuple[str, ...]
    """The rows the gate failed on, named as compare's headline names them, each with its
    change and interval."""
    cpu: Difference | None
    """The target's CPU per request in the two runs (ms), when both scraped it."""

    def line(self, label: str) -> str:
        p99 = "?" if self.p99 is None else change_text(self.p99)
        note = " (P99 row regressed)" if self.p99_regressed else ""
        failed = f"; failed on: {', '.join(self.failed)}" if self.failed else ""
        cpu = ""
        if self.cpu is not None and self.cpu.base is not None and self.cpu.new is not None:
            cpu = f"; CPU/request {self.cpu.base:.3f} -> {self.cpu.new:.3f} ms"
        return f"{label}: {self.kind} exit {self.code}, P99 {p99}{note}{cpu}{failed}"


def run(url: str, out: Path, rate: float, duration: str, core: str) -> Path:
    """One run; exit 3 (inconclusive: e.g. the machine kept the generator off its CPU) is kept,
    and the comparison of it says inconclusive."""
    cmd = ["taskset", "-c", core, *LOADPLAN, "run", str(PLAN), "--url", url, "--rate",
           f"{rate:g}", "--duration", duration, "--no-report", "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode not in (0, 1, 3):
        msg = f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}"
        raise RuntimeError(msg)
    return out


def p99_ms(run_dir: Path) -> float:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return float(summary["latency_ms"]["p99"])


def compare(base: Path, new: Path, fail_on: list[str], kind: str) -> Pair:
    """The gate on two runs, as ``loadplan compare BASE NEW --fail-on ...`` judges them: the
    same ``compare_runs`` and exit code, its rows read as values rather than printed text."""
    result = compare_runs(RunResult.load(base), RunResult.load(new), parse_fail_on(fail_on))
    whole = {row.figure: row for row in result.rows if row.tag == ""}
    p99 = whole.get(Figure.P99)
    cpu = whole.get(Figure.CPU_PER_REQUEST)
    return Pair(
        kind,
        result.exit_code,
        None if p99 is None else p99.difference,
        p99 is not None and p99.verdict is Verdict.REGRESSED,
        tuple(
            f"{label_of(row)} {row.figure.value} {change_text(row.difference)}"
            for row in result.rows
            if row.fails
        ),
        None if cpu is None else cpu.difference,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20, help="rounds (A/A and A/B pairs each)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", default="20s", help="each run's length")
    parser.add_argument("--added-latency", default="20ms:5ms", help="A's LATENCY[:JITTER]")
    parser.add_argument("--change", type=float, default=0.10, help="B's P99 change, e.g. 0.10")
    parser.add_argument("--docs", type=int, default=2000, help="the services' corpus size")
    parser.add_argument("--fail-on", action="append", default=[], help="passed to compare")
    parser.add_argument("--out", type=Path, default=None, help="keep the run directories here")
    parser.add_argument("--target-core", default="1", help="the services' core (taskset)")
    parser.add_argument("--load-core", default="0", help="the generator's core (taskset)")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="compare the runs an --out kept, again; sends no load")  # fmt: skip
    args = parser.parse_args()
    if args.reuse is not None:
        report(rejudge(args.reuse, args.fail_on), args.change, args.reuse)
        return
    root = args.out or Path(tempfile.mkdtemp(prefix="regression-gate-"))
    root.mkdir(parents=True, exist_ok=True)
    a = Service(args.added_latency, args.docs, args.target_core)
    b: Service | None = None
    pairs: list[Pair] = []
    try:
        b = calibrate(a, args, root)
        for i in range(args.pairs):
            first = run(a.url, root / f"{i:02d}-a", args.rate, args.duration, args.load_core)
            again = run(a.url, root / f"{i:02d}-a2", args.rate, args.duration, args.load_core)
            other = run(b.url, root / f"{i:02d}-b", args.rate, args.duration, args.load_core)
            for pair in (compare(first, again, args.fail_on, "A/A"),
                         compare(first, other, args.fail_on, "A/B")):  # fmt: skip
                pairs.append(pair)
                print(pair.line(f"round {i + 1}"), flush=True)
    finally:
        a.stop()
        if b is not None:
            b.stop()
    report(pairs, args.change, root)


CALIBRATION_TOLERANCE = 0.1
"""B's calibrated P99 change may be this share of ``--change`` away from it (+9.0 ... +11.0 %
for +10 %); single 20 s runs of one service vary by about half a point at the P99."""


def calibrate(a: Service, args: argparse.Namespace, root: Path) -> Service:
    """B, started with an added latency whose P99 change over A measured CHANGE (within
    ``CALIBRATION_TOLERANCE``), after at most four tries."""
    base, _, jitter = args.added_latency.partition(":")
    base_ms = parse_duration(base) * 1000
    a_p99 = p99_ms(run(a.url, root / "calibration", args.rate, args.duration, args.load_core))
    delta_ms = args.change * a_p99
    for attempt in range(4):
        slower = f"{base_ms + delta_ms:.3f}ms" + (f":{jitter}" if jitter else "")
        b = Service(slower, args.docs, args.target_core)
        try:
            out = run(b.url, root / f"calibration-b{attempt}", args.rate, args.duration,
                      args.load_core)  # fmt: skip
        except BaseException:
            b.stop()
            raise
        got = p99_ms(out) / a_p99 - 1
        print(f"A: --added-latency {args.added_latency}, P99 {a_p99:.2f} ms; B: --added-latency "
              f"{slower} (+{delta_ms:.2f} ms): P99 {got:+.1%}", flush=True)  # fmt: skip
        if abs(got - args.change) <= CALIBRATION_TOLERANCE * args.change:
            return b
        b.stop()
        delta_ms *= args.change / got if got > 0 else 2.0
    msg = f"B's P99 change did not come within {CALIBRATION_TOLERANCE:.0%} of +{args.change:.0%}"
    raise RuntimeError(msg)


def rejudge(root: Path, fail_on: list[str]) -> list[Pair]:
    """The pairs of the rounds kept under ``root`` (NN-a, NN-a2, NN-b), compared again."""
    pairs = []
    for first in sorted(root.glob("[0-9][0-9]-a")):
        again, other = first.with_name(f"{first.name}2"), first.with_name(f"{first.name[:2]}-b")
        if not (again / "summary.json").exists() or not (other / "summary.json").exists():
            continue
        for pair in (compare(first, again, fail_on, "A/A"), compare(first, other, fail_on, "A/B")):
            pairs.append(pair)
            print(pair.line(first.name[:2]))
    return pairs


def report(pairs: list[Pair], change: float, root: Path) -> None:
    same = [p for p in pairs if p.kind == "A/A"]
    changed = [p for p in pairs if p.kind == "A/B"]
    false_positives = sum(p.code == 1 for p in same)
    detected = sum(p.code == 1 for p in changed)
    print(f"false positives: {false_positives}/{len(same)} A/A pairs exit 1 "
          f"({sum(p.code == 3 for p in same)} inconclusive)")  # fmt: skip
    print(f"detected: {detected}/{len(changed)} pairs with +{change:.0%} P99 exit 1 "
          f"({sum(p.code == 3 for p in changed)} inconclusive); the whole-run P99 row itself "
          f"regressed in {sum(p.p99_regressed for p in changed)}")  # fmt: skip
    b_changes = [100 * p.p99.change for p in changed if p.p99 and p.p99.change is not None]
    if b_changes:
        print(f"A/B P99 change: mean {sum(b_changes) / len(b_changes):+.1f}%, "
              f"{min(b_changes):+.1f}% ... {max(b_changes):+.1f}%, "
              f"under +{change:.0%} in {sum(c < change * 100 for c in b_changes)}")  # fmt: skip
    cpu = [ms for p in same if p.cpu for ms in (p.cpu.base, p.cpu.new) if ms is not None]
    lows = [100 * p.cpu.low for p in same if p.cpu and p.cpu.low is not None]
    if cpu and lows:
        print(f"target CPU per request over the A/A pairs' runs: {min(cpu):.3f} ... "
              f"{max(cpu):.3f} ms; the A/A change's interval low end at most "
              f"{max(lows):+.1f}%")  # fmt: skip
    print(f"run directories: {root}")


if __name__ == "__main__":
    main()
