"""How far a node's clock is from the coordinator's, measured the way NTP measures it.

A distributed run starts at one instant that the coordinator names on its own wall clock; each
actor turns that instant into its own monotonic clock, so it must know how far its node's wall
clock is from the coordinator's. One exchange gives four timestamps: t0 the coordinator sends,
t1 the actor receives, t2 the actor replies, t3 the coordinator receives. Then

    offset = ((t1 - t0) + (t2 - t3)) / 2      (node minus coordinator)
    delay  = (t3 - t0) - (t2 - t1)            (the round trip, the actor's own time taken out)

and the true offset lies within offset +/- delay / 2 (the exchange could have spent all of its
delay on either leg). Of several exchanges the one with the shortest delay is kept, as NTP's
clock filter does: it is the one least stretched by queueing on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadplan.errors import ClusterError
from loadplan.plan.model import SkewPolicy

EXCHANGES = 8
"""Exchanges per actor; the shortest round trip of them is kept."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and reply's four timestamps, nanoseconds of each side's wall clock."""

    t0: int
    t1: int
    t2: int
    t3: int

    @property
    def offset_ns(self) -> float:
        return ((self.t1 - self.t0) + (self.t2 - self.t3)) / 2

    @property
    def delay_ns(self) -> int:
        return max(0, (self.t3 - self.t0) - (self.t2 - self.t1))


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """One actor's clock against the coordinator's.

    Attributes:
        offset_ns: node clock minus coordinator clock (positive: the node is ahead).
        delay_ns: the round trip of the exchange it came from.
    """

    offset_ns: float
    delay_ns: int

    @classmethod
    def best_of(cls, exchanges: Sequence[Exchange]) -> ClockOffset:
        if not exchanges:
            msg = "a clock offset needs at least one exchange"
            raise ValueError(msg)
        best = min(exchanges, key=lambda e: e.delay_ns)
        return cls(best.offset_ns, best.delay_ns)

    @property
    def error_bound_ns(self) -> float:
        """How far the clocks may be apart at most, from what was measured: the offset plus
        half the round trip, since the exchange cannot tell which leg took the delay."""
        return abs(self.offset_ns) + self.delay_ns / 2

    def to_json(self) -> dict[str, Any]:
        return {
            "offset_ms": round(self.offset_ns / 1e6, 4),
            "rtt_ms": round(self.delay_ns / 1e6, 4),
            "bound_ms": round(self.error_bound_ns / 1e6, 4),
        }


def check_skew(
    offsets: Sequence[tuple[str, ClockOffset]], max_skew_s: float, on_skew: SkewPolicy
) -> list[str]:
    """Each clock farther off than ``max_skew_s`` (by offset + RTT/2): refused with one line, or
    returned as flags to record.

    ``offsets``: (who, offset) pairs, ``who`` naming the actor and its node for the message.
    A clock that cannot be shown to be within the bound is treated as outside it: with a round
    trip longer than twice the bound, agreement cannot be measured, which is no agreement.
    """
    bound_ns = max_skew_s * 1e9
    flags = []
    for who, clock in offsets:
        if clock.error_bound_ns <= bound_ns:
            continue
        side = "ahead of" if clock.offset_ns >= 0 else "behind"
        flags.append(
            f"{who}: clock {abs(clock.offset_ns) / 1e6:.3f} ms {side} the coordinator's "
            f"(+/- {clock.delay_ns / 2e6:.3f} ms), over the {max_skew_s * 1000:g} ms bound"
        )
    if flags and on_skew is SkewPolicy.REFUSE:
        msg = (
            f"{flags[0]}{f' (and {len(flags) - 1} more)' if len(flags) > 1 else ''}: the "
            "seconds of a distributed run would not line up; sync the nodes' clocks (chrony or "
            'NTP), or set [cluster] max_clock_skew higher or on_skew = "flag"'
        )
        raise ClusterError(msg)
    return flags
