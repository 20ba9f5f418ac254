"""The latency model's out-of-sample check: kept on a queue it describes (M/D/8), refused on a
target that stays flat and then collapses, refused when it cannot be checked, and the limits'
edges as a table."""

from __future__ import annotations

import pytest

from loadplan.analysis.capacity.maxqps import max_qps
from loadplan.analysis.capacity.queueing import QueueModel
from loadplan.analysis.capacity.validation import (
    MAX_QPS_LIMIT,
    P95_LIMIT,
    HeldOut,
    ModelCheck,
    check_model,
    failures,
)
from loadplan.analysis.capacity.waiting import NoWaitLatency
from loadplan.plan.slo import SloSpec
from tests.analysis.capacity.support import collapsing, staircase

MDC_RATES = [100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 340.0, 380.0, 420.0]


def test_on_a_queue_it_describes_the_model_is_kept_with_its_errors() -> None:
    steps = staircase(MDC_RATES)
    slo = SloSpec(p95=0.060)
    check = check_model(steps, max_qps(steps, slo), slo)
    assert check.valid, check.reason
    assert check.usable is check.model
    assert check.fitted_on == 3
    assert check.max_error is not None
    assert abs(check.max_error) <= MAX_QPS_LIMIT
    # The held-out steps are the ones above 60 % of the max that held: 222 to 338 req/s.
    assert [h.source for h in check.held_out] == [f"sim:stairs-{i}" for i in (3, 4, 5, 6)]
    assert all(h.error is not None and abs(h.error) <= P95_LIMIT for h in check.held_out)
    assert check.reason.startswith("M/G/c model fitted on the 3 steps at or under 60% of the max")
    # The clean simulated steps pin the fit: the fits as good have 7 or 8 servers (the truth
    # is 8) and their max QPS is within the limit of the model's.
    assert check.pinned
    assert "the fits the steps cannot tell from it put the max at 334 to 386 req/s" in check.reason
    document = check.to_json(curve_to=440.0)
    assert document["valid"] is True
    assert document["reason"] is None
    assert document["capacity_qps"] > 0
    assert document["errors"]["alike"] == {
        "servers": [7, 8], "max_qps": [333.6, 385.6], "open": False, "pinned": True,
        "limit": 0.1,
    }  # fmt: skip
    assert len(document["errors"]["p95"]) == 4
    curve = document["curve"]
    assert check.model is not None
    assert [p["qps"] for p in curve[:2]] == [11.0, 22.0]
    assert curve[19]["p95_ms"] == round(check.model.percentile_ms(220.0, 95.0) or 0.0, 2)


def test_a_flat_then_collapsing_target_is_refused_with_the_numbers() -> None:
    steps = collapsing()
    slo = SloSpec(p95=0.300, p99=0.500)
    found = max_qps(steps, slo)
    check = check_model(steps, found, slo)
    assert not check.valid
    assert check.usable is None
    assert check.model is not None  # fitted, kept for the record, never used
    # The model's max is near the measured one (-4.6 %), but flat steps show no queue to place
    # it by (fits from 8 to 10 servers, up to the fastest service the grid allows, are as
    # good), and it saturates where the target was still flat: a collapse is not a queue.
    assert check.reason == (
        "latency model refused: the 6 steps <= 60% do not pin it: fits they cannot tell from "
        "its 9 x 353.0 req/s (8 to 10 servers) put the max at 2,971 to at least 3,572 req/s, "
        "more than 10% from its 3,171, past the edge of the fit's grid (longer or more steps "
        "under 60% may narrow them); "
        "its P95 at ref:stairs-11 (3,250 req/s) is saturated (no value) "
        "from the measured 4.9 ms (limit 15%; 4 of 6 held-out steps off); latency beyond the "
        "measured steps is not predicted"
    )
    document = check.to_json(curve_to=4000.0)
    assert document["valid"] is False
    assert document["reason"] == check.reason
    assert "capacity_qps" not in document
    assert "curve" not in document
    assert document["errors"]["alike"] == {
        "servers": [8, 10], "max_qps": [2970.9, 3571.9], "open": True, "pinned": False,
        "limit": 0.1,
    }  # fmt: skip
    assert document["errors"]["max_qps"] == {
        "predicted": 3171.2, "measured": 3325.4, "error": -0.0464, "limit": 0.1,
        "measured_is_lower_bound": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rates", "phrase"),
    [
        ([300.0, 340.0, 380.0], "0 step(s) at or under 60% of the max QPS"),
        ([200.0, 340.0, 380.0], "1 step(s) at or under 60% of the max QPS"),
    ],
    ids=["none-low", "one-low"],
)
def test_a_model_that_cannot_be_checked_out_of_sample_is_refused(
    rates: list[float], phrase: str
) -> None:
    steps = staircase(rates)
    slo = SloSpec(p95=0.060)
    check = check_model(steps, max_qps(steps, slo), slo)
    assert (check.valid, check.model) == (False, None)
    assert phrase in check.reason
    assert check.reason.endswith("latency beyond the measured steps is not predicted")


MODEL = QueueModel(10, 110.0, 1.0, NoWaitLatency.point(5.0), ("r:s-0",), 0.0,
                   ((9, 110.0), (12, 100.0)))  # fmt: skip
CUT_OFF = QueueModel(10, 110.0, 1.0, NoWaitLatency.point(5.0), ("r:s-0",), 0.0,
                     ((9, 110.0), (12, 100.0)), region_open=True)  # fmt: skip


def _check(
    predicted: float, lower_bound: bool = False, held: tuple[float | None, ...] = (),
    alike: tuple[float, float] | None = None, model: QueueModel = MODEL,
) -> ModelCheck:  # fmt: skip
    held_out = tuple(
        HeldOut(f"r:s-{i}", 100.0 * (i + 1), 10.0, None if p is None else 10.0 * (1 + p))
        for i, p in enumerate(held)
    )
    fitted = None if alike is None else model
    return ModelCheck(fitted, 3, 1000.0, lower_bound, predicted, held_out, False, "", alike)


@pytest.mark.parametrize(
    ("check", "failed"),
    [
        (_check(1100.0), ()),
        (_check(900.0), ()),
        (_check(1101.0), ("max",)),
        (_check(899.0), ("max",)),
        (_check(1500.0, lower_bound=True), ()),
        (_check(890.0, lower_bound=True), ("max",)),
        (_check(1000.0, held=(0.15, -0.15)), ()),
        (_check(1000.0, held=(0.0, 0.151)), ("p95",)),
        (_check(1000.0, held=(None,)), ("p95",)),
        (_check(1200.0, held=(-0.2,)), ("max", "p95")),
        (_check(1000.0, alike=(900.0, 1100.0)), ()),
        (_check(1000.0, alike=(899.0, 1000.0)), ("pin",)),
        (_check(1000.0, alike=(1000.0, 1101.0)), ("pin",)),
        (_check(1000.0, alike=(500.0, 5000.0), held=(0.5,)), ("pin", "p95")),
        (_check(1000.0, alike=(950.0, 1050.0), model=CUT_OFF), ("pin",)),
        (_check(0.0, alike=(0.0, 0.0)), ("pin", "max")),
    ],
    ids=[
        "max-at-plus-limit", "max-at-minus-limit", "max-over", "max-under",
        "lower-bound-above-is-unknown", "lower-bound-below", "p95-at-limits", "p95-over",
        "p95-saturated", "both", "alike-at-limits", "alike-under", "alike-over",
        "alike-and-p95", "alike-cut-off-by-the-grid", "model-max-zero",
    ],
)  # fmt: skip
def test_the_limits(check: ModelCheck, failed: tuple[str, ...]) -> None:
    found = failures(check)
    assert len(found) == len(failed)
    starts = {"max": "fitted on 3 steps", "p95": "its P95 at r:s-", "pin": "the 3 steps <= 60%"}
    for text, kind in zip(found, failed, strict=True):
        assert text.startswith(starts[kind])


def test_the_pin_failure_names_the_servers_and_the_spread() -> None:
    (text,) = failures(_check(1000.0, alike=(640.0, 1480.0)))
    assert text == (
        "the 3 steps <= 60% do not pin it: fits they cannot tell from its 10 x 110.0 req/s "
        "(9 to 12 servers) put the max at 640 to 1,480 req/s, more than 10% from its 1,000 "
        "(longer or more steps under 60% may narrow them)"
    )
    (cut,) = failures(_check(1000.0, alike=(950.0, 1050.0), model=CUT_OFF))
    assert cut == (
        "the 3 steps <= 60% do not pin it: fits they cannot tell from its 10 x 110.0 req/s "
        "(9 to 12 servers) put the max at 950 to at least 1,050 req/s, past the edge of the "
        "fit's grid (longer or more steps under 60% may narrow them)"
    )


def test_the_p95_failure_names_the_worst_step() -> None:
    (text,) = failures(_check(1000.0, held=(0.2, None, -0.5)))
    assert text == (
        "its P95 at r:s-1 (200 req/s) is saturated (no value) from the measured 10.0 ms "
        "(limit 15%; 3 of 3 held-out steps off)"
    )
