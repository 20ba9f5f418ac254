"""``loadplan compare BASE NEW`` on real runs against stub servers on 127.0.0.1.

Two runs of the same server must pass (exit 0); a server 10 ms slower on every answer must fail
the gate (exit 1) with the target's difference named; a run too short to bootstrap, of a
different length, is inconclusive (exit 3) and the different plan is named; a missing run
directory is one line and exit 2.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.acceptance.test_suite import plan_file, script
from tests.conftest import STUB, StubServer
from tests.support.cli import loadplan

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

RATE = "200"


def _stub(delay: str) -> tuple[str, subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, str(STUB), "--mode", "slow", "--delay", delay],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PORT "), line
    return f"http://127.0.0.1:{int(line.split()[1])}", proc


def _run(url: str, out: Path, duration: str) -> Path:
    done = loadplan(
        "run", "--url", url, "--rate", RATE, "--duration", duration, "--capture-header",
        "X-Cache", "--no-report", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Two runs of a 20 ms server, one of a 30 ms server, and a 4-second one."""
    root = tmp_path_factory.mktemp("compare")
    fast, fast_proc = _stub("0.02")
    slow, slow_proc = _stub("0.03")
    # The four runs go at once (800 req/s in all, light on two cores): the A/A pair then shares
    # whatever the machine does meanwhile.
    jobs = {"a1": (fast, "14s"), "a2": (fast, "14s"), "slower": (slow, "14s"),
            "short": (fast, "4s")}  # fmt: skip
    try:
        with ThreadPoolExecutor(len(jobs)) as pool:
            done = {k: pool.submit(_run, url, root / k, took) for k, (url, took) in jobs.items()}
            kept = {k: future.result() for k, future in done.items()}
        yield kept
    finally:
        for proc in (fast_proc, slow_proc):
            proc.terminate()
            proc.wait(timeout=5)
            if proc.stdout:
                proc.stdout.close()


def test_same_server_twice_is_no_regression(runs: dict[str, Path]) -> None:
    done = loadplan("compare", str(runs["a1"]), str(runs["a2"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "NO REGRESSION (exit 0)"
    assert "warning:" not in done.stdout


def test_a_slower_server_fails_the_gate_and_the_report_says_why(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    done = loadplan("compare", str(runs["a1"]), str(runs["slower"]), "--out", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("warning: target.url: 'http://127.0.0.1:")
    assert lines[-2].startswith("REGRESSED (exit 1): constant p95, constant p99")
    assert any(line.startswith("constant [x-cache=HIT]") and "REGRESSED" in line for line in lines)
    md = (tmp_path / "comparison.md").read_text(encoding="utf-8")
    assert "| constant | p99 |" in md
    assert "## Per tag" in md
    assert (tmp_path / "plots" / "compare-latency.png").stat().st_size > 0
    assert (tmp_path / "comparison.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_the_gate_can_be_loosened_past_the_change(runs: dict[str, Path]) -> None:
    # 20 ms -> 30 ms is +50 %: thresholds of +80 % let it through (P50 is shown, not gated).
    loose = loadplan(
        "compare", str(runs["a1"]), str(runs["slower"]), "--fail-on", "p95=+80%,p99=+80%"
    )
    assert loose.returncode == 0, loose.stdout + loose.stderr


def test_a_short_run_of_another_length_is_inconclusive(runs: dict[str, Path]) -> None:
    done = loadplan("compare", str(runs["a1"]), str(runs["short"]))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "warning: different plans: load.duration: 14.0 vs 4.0"
    assert done.stdout.splitlines()[-1] == "INCONCLUSIVE (exit 3): different plans"


def test_bad_input_is_one_line_and_exit_2(runs: dict[str, Path], tmp_path: Path) -> None:
    missing = loadplan("compare", str(runs["a1"]), str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        (
            f"loadplan: error: {tmp_path / 'nowhere'}: no such run directory; pass the --out "
            "directory of a run"
        )
    ]
    bad = loadplan("compare", str(runs["a1"]), str(runs["a2"]), "--fail-on", "p97=10%")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("loadplan: error: --fail-on 'p97=10%': no figure")
    few = loadplan("compare", str(runs["a1"]), str(runs["a2"]), "--baseline", str(tmp_path))
    assert few.returncode == 2
    assert "needs 3 or more earlier runs" in few.stderr


def test_a_baseline_s_spread_is_the_noise_floor(runs: dict[str, Path], tmp_path: Path) -> None:
    quiet, noisy = tmp_path / "quiet", tmp_path / "noisy"
    for folder, members in ((quiet, ("a1", "a2", "a1")), (noisy, ("a1", "a2", "slower"))):
        folder.mkdir()
        for i, name in enumerate(members):
            (folder / f"run{i}").symlink_to(runs[name])
    held = loadplan("compare", str(runs["a1"]), str(runs["slower"]), "--baseline", str(quiet))
    assert held.returncode == 1, held.stdout + held.stderr
    assert "interval clear of noise floor" in held.stdout
    # A baseline that already spans 20 ms to 30 ms cannot call 30 ms a regression.
    drowned = loadplan("compare", str(runs["a1"]), str(runs["slower"]), "--baseline", str(noisy))
    assert drowned.returncode == 0, drowned.stdout + drowned.stderr


def test_the_ci_script_compares_with_a_stored_run(
    stub_server: Callable[..., StubServer], tmp_path: Path
) -> None:
    server = stub_server("ok")
    plan = str(plan_file(tmp_path))
    base, new = tmp_path / "base", tmp_path / "new"
    first = script(server.url, plan, "2s", str(base))
    assert first.returncode == 0, first.stdout + first.stderr
    gated = script("--compare", str(base), server.url, plan, "2s", str(new))
    # The tiny suite's stages are seconds long: the suite passes, the comparison cannot decide.
    assert gated.returncode == 3, gated.stdout + gated.stderr
    assert "INCONCLUSIVE (exit 3)" in gated.stdout
    assert (new / "compare" / "comparison.md").is_file()
    missing = script("--compare", str(tmp_path / "nowhere"), server.url, plan)
    assert missing.returncode == 2
    assert "not a run directory" in missing.stderr
