"""What broke first, decided from the facts at the last good and the first bad step."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loadplan.analysis.capacity.bottleneck import StepFacts, find_bottleneck

GOOD = StepFacts(
    "breakpoint-4", 3250.0, 3250.0, 40.0, 80.0, 0.0, throughput=1.0,
    cpu_cores=0.91, memory_mb=300.0, cache_hit_rate=0.65,
)  # fmt: skip
BAD = replace(GOOD, label="breakpoint-5", offered_qps=3500.0, achieved_qps=3450.0,
              p95_ms=420.0, breaks=("p95 420.0 ms > 300 ms",))  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "first", "phrase"),
    [
        (replace(BAD, cpu_cores=0.97), "target CPU", "CPU-bound: the target used 0.97 cores of 1"),
        (replace(BAD, cpu_cores=1.93), "target CPU", "1.93 cores of 2"),
        # A reading a hair over one core is that core, saturated: not half of two.
        (replace(BAD, cpu_cores=1.0049, backlog_max=200), "target CPU", "1.00 cores of 1"),
        (replace(BAD, cpu_cores=1.07), "latency", "no resource the run measured ran out"),
        (
            replace(BAD, cpu_cores=0.6, error_rate=0.02, errors={"timeout": 60, "http_5xx": 9},
                    breaks=("errors 2.00% > 0.10%",)),
            "errors",
            "mostly timeout (60)",
        ),
        (replace(BAD, cpu_cores=0.6, backlog_max=200, dropped=12), "connection cap", "12 dropped"),
        (
            replace(BAD, cpu_cores=0.6, cache_hit_rate=0.3),
            "cache hit collapse",
            "fell from 65.0% at 3,250 req/s (breakpoint-4) to 30.0%",
        ),
        (replace(BAD, cpu_cores=0.6, memory_mb=900.0), "memory", "300 MiB"),
        (replace(BAD, cpu_cores=0.6), "latency", "no resource the run measured ran out"),
        (replace(BAD, cpu_cores=None), "latency", "p95 420.0 ms > 300 ms"),
        (
            replace(BAD, cpu_cores=0.97, generator_bound=True, generator_why=("lag P99 40 ms",)),
            "generator",
            "the generator, not the target, was the limit",
        ),
    ],
    ids=["cpu-one-core", "cpu-two-cores", "cpu-one-core-read-over", "cpu-past-one-core",
         "errors", "connection-cap", "cache-collapse", "memory", "latency-alone", "unscraped",
         "generator-bound"],
)  # fmt: skip
def test_the_first_cause_that_applies_is_named_with_its_values(
    bad: StepFacts, first: str, phrase: str
) -> None:
    found = find_bottleneck([replace(GOOD, label="breakpoint-3", offered_qps=3000.0), GOOD, bad])
    assert found.first == first
    assert found.last_good == GOOD
    assert found.first_bad == bad
    assert found.inconclusive is (first == "generator")
    assert any(phrase in line for line in found.evidence), found.evidence
    assert found.evidence[0].startswith("3,500 req/s (breakpoint-5) broke the SLA")


def test_a_staircase_that_held_everywhere_has_no_bottleneck() -> None:
    found = find_bottleneck([GOOD])
    assert (found.first, found.first_bad, found.last_good) == ("none", None, GOOD)
    assert found.evidence == ("every step held the SLA, up to 3,250 req/s (breakpoint-4)",)


def test_a_first_step_that_breaks_has_no_last_good_one() -> None:
    found = find_bottleneck([replace(BAD, cpu_cores=0.97)])
    assert (found.first, found.last_good) == ("target CPU", None)
