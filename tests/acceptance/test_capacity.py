"""``loadplan capacity RUN_DIR`` end to end, against a server of known capacity.

The server (tests/support/capacity_server.py) has 8 slots of 20 ms, FIFO: an M/D/8 queue under
loadplan's Poisson arrivals, which holds P95 <= 60 ms up to about 367 req/s (simulated in
tests/support/mdc.py). A staircase run across that edge, planned, must put the max QPS within
10 % of it, and the plan must carry every part the issue names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import loadplan
from tests.support.mdc import rate_at_percentile

pytestmark = pytest.mark.slow

SERVER = Path(__file__).resolve().parents[1] / "support" / "capacity_server.py"

STAIRCASE = """\
[target]
url = "{url}"
[load]
rate = 150
arrivals = "poisson"
seed = 3
[[stages]]
type = "step"
name = "stairs"
from = 100
to = 420
step = 40
step_duration = "5s"
[slo]
p95 = "60ms"
[generator]
lag_bound = "50ms"   # a shared 2-core CI machine; the steps' latencies are tens of ms
"""


SWEEP = """\
[target]
url = "{url}"
[load]
seed = 3
[[stages]]
type = "sweep"
name = "sweep"
users_from = 2
users_to = 16
users_step = 2
step_duration = "2s"
"""


@pytest.fixture(scope="module")
def capacity_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--slots", "8", "--service", "0.02"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PORT "), line
    yield f"http://127.0.0.1:{int(line.split()[1])}"
    proc.terminate()
    proc.wait(timeout=5)
    proc.stdout.close()


@pytest.fixture(scope="module")
def staircase_run(capacity_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("capacity")
    plan = where / "plan.toml"
    plan.write_text(STAIRCASE.format(url=capacity_url), encoding="utf-8")
    out = where / "run"
    done = loadplan("run", str(plan), "--out", str(out), "--no-report", timeout=120)
    # The staircase runs past the capacity on purpose: its last steps break the SLA.
    assert done.returncode == 1, done.stdout + done.stderr
    return out


def test_the_plan_finds_the_known_capacity_and_has_every_part(staircase_run: Path) -> None:
    done = loadplan("capacity", str(staircase_run), "--format", "json", "--peak", "150")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    truth = rate_at_percentile(0.060, 95, 8, 0.020)
    found = plan["max_qps_under_slo"]
    assert found["value"] == pytest.approx(truth, rel=0.10)
    assert found["low"] <= found["value"] <= found["high"]
    assert found["limiting"] == "p95"
    # P95 leaves its low-load value (x1.5) at the latest where it breaks the 60 ms bound.
    first_bad = next(s for s in plan["steps"] if s["breaks"])
    assert plan["knee_qps"] is not None
    assert 200 < plan["knee_qps"] <= first_bad["offered_qps"]
    # The latency model, fitted on the steps under 60 % of the max only, is checked out of
    # sample, and refused when the fits it cannot tell from its best put the max more than
    # 10 % away. On this real server the steps under 60 % hold too few waiting requests, next
    # to the step-to-step jitter, to pin the server count (docs/capacity-model.md, "The
    # latency model on 8 real staircases"), so either verdict can come out; what is checked
    # is that the verdict follows from the errors the plan reports, and what each verdict
    # carries.
    model = plan["prediction"]
    assert model["fitted_on"]
    assert all(int(s.rsplit("-", 1)[1]) <= 3 for s in model["fitted_on"])
    errors = model["errors"]
    assert errors["max_qps"]["measured"] == pytest.approx(found["value"], abs=0.1)
    held = [e["error"] for e in errors["p95"]]
    assert held, "the steps between 60 % of the max and the max held the SLA"
    passes = (
        abs(errors["max_qps"]["error"]) <= 0.10
        and all(e is not None and abs(e) <= 0.15 for e in held)
        and errors["alike"]["pinned"]
    )
    assert model["valid"] is passes, model["text"]
    if passes:
        assert model["reason"] is None
        predicted = next(
            p["qps"] for p in model["curve"] if p["p95_ms"] is None or p["p95_ms"] > 60.0
        )
        assert predicted == pytest.approx(found["value"], rel=0.15)
    else:
        assert model["reason"] == model["text"]
        assert model["reason"].startswith("latency model refused: ")
        assert model["reason"].endswith("latency beyond the measured steps is not predicted")
        assert "curve" not in model
    rows = {row["growth"]: row for row in plan["plan"]}
    assert set(rows) == {1.0, 1.5, 2.0, 3.0}
    two = rows[2.0]
    # 300 req/s at 70 % of ~360 per instance: 2 carry it, plus one for N+1.
    assert two["instances"] == 3
    assert two["per_instance_qps"] == pytest.approx(100.0)
    # 100 req/s per instance is inside the measured steps: read from them, never the model.
    assert two["p95_ms"] is not None
    assert two["latency_source"] in ("measured", "interpolated", "lowest step")
    assert set(two) >= {"growth", "peak_qps", "instances", "per_instance_qps", "utilisation",
                        "p95_ms", "p99_ms"}  # fmt: skip
    assert plan["bottleneck"]["first"] == "latency"
    assert plan["bottleneck"]["evidence"][0].endswith("> 60 ms")
    # Seven steps held the SLA: enough load levels for the USL on N = X x P95.
    assert plan["usl"] is not None, plan["usl_note"]
    assert {"sigma", "kappa", "lambda", "n_star", "x_max", "x_roof"} <= set(plan["usl"])
    report = staircase_run / "report"
    assert json.loads((report / "capacity.json").read_text())["plan"] == plan["plan"]
    text = (report / "capacity-planning.md").read_text()
    assert text.startswith("# Capacity plan\n\nCommand: `loadplan capacity")
    assert "## Scaling guidelines" in text
    assert (report / "plots" / "capacity-latency.png").stat().st_size > 1000


def test_a_concurrency_sweep_beside_it_gives_the_usl_its_levels(
    staircase_run: Path, capacity_url: str, tmp_path: Path
) -> None:
    # Closed-loop users against 8 slots of 20 ms: X = N / 20 ms up to N = 8, then flat at the
    # server's 400 req/s; the USL fitted to the sweep must find that ceiling.
    plan_file = tmp_path / "sweep.toml"
    plan_file.write_text(SWEEP.format(url=capacity_url), encoding="utf-8")
    sweep = tmp_path / "sweep"
    done = loadplan("run", str(plan_file), "--out", str(sweep), "--no-report", timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    done = loadplan("capacity", str(staircase_run), str(sweep), "--format", "json", "--peak", "150")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["usl_note"].startswith("USL fitted on the 8 levels of the concurrency sweep")
    usl = plan["usl"]
    assert [p["n"] for p in usl["points"]] == [2, 4, 6, 8, 10, 12, 14, 16]
    ceiling = max(
        usl["lambda"] * n / (1 + usl["sigma"] * (n - 1) + usl["kappa"] * n * (n - 1))
        for n in range(2, 17)
    )
    assert ceiling == pytest.approx(8 / 0.020, rel=0.15)
    # The staircase still sets the max QPS; the sweep only adds the USL.
    assert plan["max_qps_under_slo"]["limiting"] == "p95"


def test_the_text_form_ends_with_the_growth_line(staircase_run: Path, tmp_path: Path) -> None:
    done = loadplan("capacity", str(staircase_run), "--peak", "150", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "2x growth: 3 instances (N+1), each at 100 req/s" in done.stdout
    assert "max QPS per instance under the SLA:" in done.stdout
    said = [
        line
        for line in done.stdout.splitlines()
        if line.startswith(("latency model refused: ", "M/G/c model fitted on "))
    ]
    assert len(said) == 1, done.stdout
    assert (tmp_path / "capacity-planning.md").exists()


@pytest.mark.parametrize(
    ("slo", "phrase"),
    [
        ('[slo]\np95 = "60ms"\n', "no step or breakpoint stage with recorded seconds"),
        ("", "its plan has no [slo]: a capacity under the SLA needs one"),
    ],
    ids=["no-steps", "no-slo"],
)
def test_a_run_it_cannot_plan_from_is_refused_in_one_line(
    capacity_url: str, tmp_path: Path, slo: str, phrase: str
) -> None:
    plan = tmp_path / "flat.toml"
    plan.write_text(
        f'[target]\nurl = "{capacity_url}"\n[load]\nrate = 50\nduration = "2s"\n{slo}',
        encoding="utf-8",
    )
    out = tmp_path / "flat"
    done = loadplan("run", str(plan), "--out", str(out), "--no-report")
    assert done.returncode == 0, done.stderr
    refused = loadplan("capacity", str(out), "--peak", "10")
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert phrase in line


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--headroom", "120%"], "--headroom 120%: give a share under 100 %"),
        (["--redundancy", "-1"], "--redundancy -1: give 0 or more"),
        (["--peak", "0"], "--peak 0: give today's peak"),
        (["--format", "xml"], "--format xml: give text or json"),
    ],
    ids=["headroom", "redundancy", "peak", "format"],
)
def test_bad_options_are_one_line_and_exit_2(
    staircase_run: Path, args: list[str], phrase: str
) -> None:
    done = loadplan("capacity", str(staircase_run), *args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"loadplan: error: {phrase}" + _rest(done.stderr, phrase)]


def _rest(stderr: str, phrase: str) -> str:
    line = stderr.splitlines()[0]
    return line.split(phrase, 1)[1] if phrase in line else ""
