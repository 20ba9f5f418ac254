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
