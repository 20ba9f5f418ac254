from __future__ import annotations

import numpy as np
import pytest

from loadplan.schedule.stages import RateProfile, Segment

WARM_THEN_RAMP = RateProfile.constant(100, 10) + RateProfile.ramp(100, 1000, 60)


@pytest.mark.parametrize(
    ("t", "rate", "hits"),
    [
        (-1.0, 0.0, 0.0),
        (0.0, 100.0, 0.0),
        (5.0, 100.0, 500.0),
        (10.0, 100.0, 1000.0),
        (40.0, 550.0, 1000.0 + 30 * (100 + 550) / 2),
        (70.0, 0.0, 1000.0 + 60 * (100 + 1000) / 2),
        (99.0, 0.0, 1000.0 + 60 * (100 + 1000) / 2),
    ],
    ids=["before", "start", "mid-constant", "boundary", "mid-ramp", "end", "after"],
)
def test_rate_and_hits(t: float, rate: float, hits: float) -> None:
    assert WARM_THEN_RAMP.rate(t) == pytest.approx(rate)
    assert WARM_THEN_RAMP.hits(t) == pytest.approx(hits)


@pytest.mark.parametrize("t", [0.0, 0.5, 9.99, 10.0, 10.01, 33.3, 69.9])
def test_time_of_hit_inverts_hits(t: float) -> None:
    assert WARM_THEN_RAMP.time_of_hit(WARM_THEN_RAMP.hits(t)) == pytest.approx(t, abs=1e-9)
    vec = WARM_THEN_RAMP.times_of_hits(np.array([WARM_THEN_RAMP.hits(t)]))
    assert vec[0] == pytest.approx(t, abs=1e-9)


def test_ramp_down_and_zero_rate_segments() -> None:
    profile = RateProfile(
        (Segment(10, 1000, 0, "down"), Segment(5, 0, 0, "idle"), Segment(1, 10, 10, "tail"))
    )
    assert profile.total_hits == pytest.approx(5000 + 10)
    # The idle segment holds no requests: the next one after hit 5000 is in "tail".
    assert profile.time_of_hit(5001) == pytest.approx(15.1)
    assert profile.label_at(12) == "idle"


def test_steps() -> None:
    profile = RateProfile.steps([100, 200, 300], step_duration=10)
    assert [profile.rate(t) for t in (5, 15, 25)] == [100, 200, 300]
    assert profile.label_at(15) == "step-1"


@pytest.mark.parametrize(
    ("args", "match"),
    [((0, 1, 1), "duration"), ((5, -1, 1), "rates"), ((float("inf"), 1, 1), "duration")],
    ids=["zero-duration", "negative-rate", "infinite"],
)
def test_segment_rejects(args: tuple[float, float, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Segment(*args)


SPIKE = RateProfile.spike(100, factor=2, hold=10, recovery=30)


@pytest.mark.parametrize(
    ("t", "rate", "hits", "label"),
    [
        (0.0, 200.0, 0.0, "spike"),
        (5.0, 200.0, 1000.0, "spike"),
        (10.0, 100.0, 2000.0, "spike-recovery"),
        (25.0, 100.0, 3500.0, "spike-recovery"),
        (39.9, 100.0, 4990.0, "spike-recovery"),
        (40.0, 0.0, 5000.0, ""),
    ],
    ids=["jump", "hold", "back", "recovery", "last-tick", "after"],
)
def test_spike_jumps_holds_and_comes_back(t: float, rate: float, hits: float, label: str) -> None:
    assert SPIKE.rate(t) == pytest.approx(rate)
    assert SPIKE.hits(t) == pytest.approx(hits)
    assert SPIKE.label_at(t) == label


@pytest.mark.parametrize(
    ("profile", "t", "rate", "label"),
    [
        (RateProfile.soak(1000, 7200), 3600.0, 1000.0, "soak"),
        (RateProfile.soak(1000, 7200, label="sustained"), 7199.0, 1000.0, "sustained"),
        (RateProfile.steps([100, 150, 200], 30, "breakpoint"), 29.9, 100.0, "breakpoint-0"),
        (RateProfile.steps([100, 150, 200], 30, "breakpoint"), 30.0, 150.0, "breakpoint-1"),
        (RateProfile.steps([100, 150, 200], 30, "breakpoint"), 89.9, 200.0, "breakpoint-2"),
        (RateProfile.ramp(0, 100, 10, "ramp-up"), 2.5, 25.0, "ramp-up"),
    ],
    ids=["soak", "soak-named", "step-0", "step-1-boundary", "step-last", "ramp-from-zero"],
)
def test_stage_curves(profile: RateProfile, t: float, rate: float, label: str) -> None:
    assert profile.rate(t) == pytest.approx(rate)
    assert profile.label_at(t) == label


def test_spans_give_each_segment_its_offsets() -> None:
    profile = RateProfile.constant(10, 5, "a") + SPIKE
    assert [(seg.label, start, end) for seg, start, end in profile.spans()] == [
        ("a", 0.0, 5.0),
        ("spike", 5.0, 15.0),
        ("spike-recovery", 15.0, 45.0),
    ]
