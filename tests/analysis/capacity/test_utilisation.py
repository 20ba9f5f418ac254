"""The utilisation law's bound from the target's scraped CPU: D per step, cores assumed, and
no bound without CPU or a step that held."""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.bottleneck import StepFacts
from loadplan.analysis.capacity.utilisation import cpu_bound

BROKE = ("p95 400 ms > 300 ms",)


def facts(qps: float, cores: float | None, broke: bool = False) -> tuple[str, StepFacts]:
    label = f"s-{qps:g}"
    step = StepFacts(label, qps, qps, 5.0, 9.0, 0.0, cpu_cores=cores,
                     breaks=BROKE if broke else ())  # fmt: skip
    return f"r:{label}", step


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # One event loop: 0.25 ms per request at the top good step -> 1 core / 0.25 ms.
        ([facts(1000, 0.3), facts(2000, 0.5), facts(2500, 0.95, broke=True)],
         (4000.0, 1, 0.25, "r:s-2000")),
        # D falls with load (fixed background CPU shared by more requests): the lowest D of the
        # steps that held, not of the broken one (0.2 ms there).
        ([facts(500, 0.2), facts(1000, 0.3), facts(4000, 0.8, broke=True)],
         (1000 / 0.3, 1, 0.3, "r:s-1000")),
        # More than one core used: rounded up to 3 cores.
        ([facts(1000, 1.2), facts(2000, 2.2), facts(3000, 2.6, broke=True)],
         (3 / 0.0011, 3, 1.1, "r:s-2000")),
        # A process held to one core that reads a hair over it at saturation (the reference
        # service read 1.0049): scrape timing, still one core, not two.
        ([facts(1000, 0.3), facts(2000, 0.5), facts(2500, 1.0049, broke=True)],
         (4000.0, 1, 0.25, "r:s-2000")),
    ],
    ids=["one-core", "lowest-held-demand", "three-cores", "one-core-read-over"],
)  # fmt: skip
def test_the_bound_is_cores_over_cpu_per_request(
    steps: list[tuple[str, StepFacts]], expected: tuple[float, int, float, str]
) -> None:
    bound = cpu_bound(steps)
    assert bound is not None
    qps, cores, demand, at = expected
    assert bound.max_qps == pytest.approx(qps)
    assert (bound.cores, bound.at) == (cores, at)
    assert bound.cpu_ms_per_request == pytest.approx(demand)
    assert bound.text.startswith(f"CPU allows at most {qps:,.0f} req/s per instance at ")
    assert bound.text.endswith("an upper bound, not the capacity")


@pytest.mark.parametrize(
    "steps",
    [
        [facts(1000, None), facts(2000, None)],
        [facts(1000, 0.5, broke=True)],
        [],
    ],
    ids=["unscraped", "nothing-held", "no-steps"],
)
def test_no_bound_without_cpu_at_a_step_that_held(steps: list[tuple[str, StepFacts]]) -> None:
    assert cpu_bound(steps) is None


def test_each_step_reports_its_cpu_per_request() -> None:
    _, step = facts(2000, 0.5)
    assert step.cpu_ms_per_request == pytest.approx(0.25)
    assert step.to_json()["cpu_ms_per_request"] == 0.25
    assert facts(2000, None)[1].to_json()["cpu_ms_per_request"] is None
