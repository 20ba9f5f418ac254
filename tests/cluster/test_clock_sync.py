"""Clock offsets from four timestamps, the shortest round trip kept, and the skew bound."""

from __future__ import annotations

import pytest

from loadplan.cluster.clock_sync import ClockOffset, Exchange, check_skew
from loadplan.errors import ClusterError
from loadplan.plan.model import SkewPolicy

MS = 1_000_000


@pytest.mark.parametrize(
    ("exchange", "offset_ms", "delay_ms"),
    [
        # The node 10 ms ahead, 1 ms each way, the actor's own time 0.2 ms.
        pytest.param(
            Exchange(0, 11 * MS, 11 * MS + MS // 5, 2 * MS + MS // 5), 10.0, 2.0, id="ahead"
        ),
        pytest.param(Exchange(100 * MS, 96 * MS, 96 * MS, 102 * MS), -5.0, 2.0, id="behind"),
        # All of the delay on the way out: the estimate is off by half the round trip.
        pytest.param(Exchange(0, 4 * MS, 4 * MS, 4 * MS), 2.0, 4.0, id="asymmetric"),
    ],
)
def test_an_exchange_gives_offset_and_round_trip(
    exchange: Exchange, offset_ms: float, delay_ms: float
) -> None:
    assert exchange.offset_ns / MS == pytest.approx(offset_ms)
    assert exchange.delay_ns / MS == pytest.approx(delay_ms)


def test_the_shortest_round_trip_is_kept() -> None:
    slow = Exchange(0, 9 * MS, 9 * MS, 10 * MS)  # offset +4 ms, delay 10 ms
    fast = Exchange(0, 1 * MS, 1 * MS, 1 * MS)  # offset +0.5 ms, delay 1 ms
    clock = ClockOffset.best_of([slow, fast, slow])
    assert clock.offset_ns == pytest.approx(0.5 * MS)
    assert clock.delay_ns == MS
    assert clock.error_bound_ns == pytest.approx(1.0 * MS)
    assert clock.to_json() == {"offset_ms": 0.5, "rtt_ms": 1.0, "bound_ms": 1.0}
    with pytest.raises(ValueError, match="at least one exchange"):
        ClockOffset.best_of([])


@pytest.mark.parametrize(
    ("offset_ms", "rtt_ms", "within"),
    [
        pytest.param(0.1, 1.0, True, id="close"),
        pytest.param(-4.4, 1.0, True, id="just-inside"),
        pytest.param(4.6, 1.0, False, id="offset-plus-half-rtt-over"),
        pytest.param(0.0, 12.0, False, id="rtt-too-long-to-tell"),
        pytest.param(-30.0, 0.5, False, id="far-behind"),
    ],
)
def test_the_bound_is_offset_plus_half_the_round_trip(
    offset_ms: float, rtt_ms: float, within: bool
) -> None:
    clock = ClockOffset(offset_ms * MS, round(rtt_ms * MS))
    flags = check_skew([("actor 0 on node 10.0.0.2", clock)], 0.005, SkewPolicy.FLAG)
    assert (flags == []) is within
    if within:
        return
    side = "ahead of" if offset_ms >= 0 else "behind"
    expected = (
        f"actor 0 on node 10.0.0.2: clock {abs(offset_ms):.3f} ms {side} the coordinator's "
        f"(+/- {rtt_ms / 2:.3f} ms), over the 5 ms bound"
    )
    assert flags == [expected]
    with pytest.raises(ClusterError) as refused:
        check_skew([("actor 0 on node 10.0.0.2", clock)], 0.005, SkewPolicy.REFUSE)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(flags[0])
    assert "sync the nodes' clocks" in message
    assert 'on_skew = "flag"' in message
    assert refused.value.exit_code == 3


def test_a_refusal_counts_the_other_skewed_clocks() -> None:
    far = ClockOffset(50.0 * MS, MS)
    offsets = [("actor 0", far), ("actor 1", ClockOffset(0.0, MS)), ("actor 2", far)]
    with pytest.raises(ClusterError, match=r"^actor 0: .* \(and 1 more\): the seconds"):
        check_skew(offsets, 0.005, SkewPolicy.REFUSE)
