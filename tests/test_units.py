from __future__ import annotations

import pytest

from loadplan.units import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("250ms", 0.25),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("12", 12.0),
        (3, 3.0),
        ("500us", 0.0005),
    ],
    ids=str,
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5x", "s5", "-3s", "1h-5m"], ids=repr)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text, what="duration")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.25, "250ms"), (30, "30s"), (5400, "1h30m"), (3661, "1h1m1s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
