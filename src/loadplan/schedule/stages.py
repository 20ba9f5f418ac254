"""Rate profiles as pure functions of time.

Following vegeta's ``Pacer``, a profile answers two questions with arithmetic and nothing else:
``rate(t)`` (requests per second at offset t) and ``hits(t)`` (how many requests are due by t,
the integral of rate). The schedule inverts ``hits`` to find each request's due time.

Every stage loadplan offers (constant, ramp, step, spike, soak, breakpoint) is a chain of segments
whose rate is linear in time, so ``hits`` is piecewise quadratic and ``time_of_hit`` has a closed
form: no numeric root-finding on the per-request path, and no drift over a two-hour run. A
breakpoint is a staircase (``steps``) whose stopping is decided at run time, not here.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of ``duration`` seconds over which the rate moves linearly from ``start`` to ``end``.

    Attributes:
        duration: seconds, > 0.
        start: requests per second at the segment's beginning, >= 0.
        end: requests per second at its end, >= 0 (equal to ``start`` for a constant rate).
        label: the stage this segment belongs to, carried into results.
    """

    duration: float
    start: float
    end: float
    label: str = ""

    def __post_init__(self) -> None:
        if not (self.duration > 0 and math.isfinite(self.duration)):
            msg = f"segment duration = {self.duration!r}: must be a positive number of seconds"
            raise ValueError(msg)
        if self.start < 0 or self.end < 0:
            msg = f"segment rate {self.start!r} -> {self.end!r}: rates must be >= 0 requests/s"
            raise ValueError(msg)

    @property
    def slope(self) -> float:
        return (self.end - self.start) / self.duration

    @property
    def hits(self) -> float:
        return (self.start + self.end) * self.duration / 2

    def rate_at(self, t: float) -> float:
        return self.start + self.slope * t

    def hits_at(self, t: float) -> float:
        return self.start * t + self.slope * t * t / 2

    def time_of(self, h: float) -> float:
        """Offset in the segment at which ``h`` hits have been reached (0 <= h <= self.hits)."""
        a, r0 = self.slope, self.start
        if abs(a) < 1e-12:
            return h / r0 if r0 > 0 else self.duration
        # Solve a/2 t^2 + r0 t - h = 0 in cancellation-free form: t = 2h / (r0 + sqrt(r0^2 + 2ah)).
        disc = max(r0 * r0 + 2 * a * h, 0.0)
        denom = r0 + math.sqrt(disc)
        return min(2 * h / denom, self.duration) if denom > 0 else self.duration


@dataclass(frozen=True, slots=True)
class RateProfile:
    """Segments played one after another.

    Example::

        warm = RateProfile.constant(100, duration=10)
        ramp = RateProfile.ramp(100, 1000, duration=60)
        profile = warm + ramp
        profile.rate(35)   # 475.0
        profile.hits(10)   # 1000.0
    """

    segments: tuple[Segment, ...]
    # Derived tables, filled in by __post_init__.
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _cum_hits: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.segments:
            msg = "a rate profile needs at least one segment"
            raise ValueError(msg)
        starts, hits = [0.0], [0.0]
        for seg in self.segments:
            starts.append(starts[-1] + seg.duration)
            hits.append(hits[-1] + seg.hits)
        object.__setattr__(self, "_starts", tuple(starts))
        object.__setattr__(self, "_cum_hits", tuple(hits))

    @classmethod
    def constant(cls, rate: float, duration: float, label: str = "constant") -> RateProfile:
        return cls((Segment(duration, rate, rate, label),))

    @classmethod
    def ramp(cls, start: float, end: float, duration: float, label: str = "ramp") -> RateProfile:
        return cls((Segment(duration, start, end, label),))

    @classmethod
    def steps(
        cls, rates: Sequence[float], step_duration: float, label: str = "step"
    ) -> RateProfile:
        return cls(tuple(Segment(step_duration, r, r, f"{label}-{i}") for i, r in enumerate(rates)))

    @classmethod
    def soak(cls, rate: float, duration: float, label: str = "soak") -> RateProfile:
        """A long constant rate; only the label (and how it is judged) differs."""
        return cls.constant(rate, duration, label)

    @classmethod
    def spike(
        cls, rate: float, factor: float, hold: float, recovery: float, label: str = "spike"
    ) -> RateProfile:
        """Jump from ``rate`` to ``factor * rate`` for ``hold`` seconds, then back to ``rate`` for
        ``recovery`` seconds (labelled ``<label>-recovery``, where recovery is measured)."""
        peak = rate * factor
        return cls(
            (Segment(hold, peak, peak, label), Segment(recovery, rate, rate, f"{label}-recovery"))
        )

    def spans(self) -> tuple[tuple[Segment, float, float], ...]:
        """Each segment with its start and end offset in the profile."""
        return tuple(
            (seg, self._starts[i], self._starts[i + 1]) for i, seg in enumerate(self.segments)
        )

    def __add__(self, other: RateProfile) -> RateProfile:
        return RateProfile(self.segments + other.segments)

    @property
    def duration(self) -> float:
        return self._starts[-1]

    @property
    def total_hits(self) -> float:
        return self._cum_hits[-1]

    def _segment_at(self, t: float) -> int:
        return min(bisect.bisect_right(self._starts, t) - 1, len(self.segments) - 1)

    def rate(self, t: float) -> float:
        """Requests per second due at offset ``t`` (0 outside the profile)."""
        if t < 0 or t >= self.duration:
            return 0.0
        i = self._segment_at(t)
        return self.segments[i].rate_at(t - self._starts[i])

    def hits(self, t: float) -> float:
        """Requests due in [0, t): the integral of ``rate``."""
        if t <= 0:
            return 0.0
        if t >= self.duration:
            return self.total_hits
        i = self._segment_at(t)
        return self._cum_hits[i] + self.segments[i].hits_at(t - self._starts[i])

    def time_of_hit(self, h: float) -> float:
        """The offset at which ``hits`` reaches ``h``: the inverse of ``hits``."""
        if h <= 0:
            return 0.0
        if h >= self.total_hits:
            return self.duration
        # The first segment whose cumulative count reaches h; zero-rate segments are skipped over.
        i = bisect.bisect_left(self._cum_hits, h) - 1
        return self._starts[i] + self.segments[i].time_of(h - self._cum_hits[i])

    def label_at(self, t: float) -> str:
        if t < 0 or t >= self.duration:
            return ""
        return self.segments[self._segment_at(t)].label

    def times_of_hits(self, h: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``time_of_hit`` over an array: the schedule's path, one numpy pass per block."""
        cum = np.asarray(self._cum_hits)
        starts = np.asarray(self._starts)
        r0 = np.array([s.start for s in self.segments])
        slope = np.array([s.slope for s in self.segments])
        dur = np.array([s.duration for s in self.segments])
        hc = np.clip(h, 0.0, self.total_hits)
        i = np.clip(np.searchsorted(cum, hc, side="left") - 1, 0, len(self.segments) - 1)
        local = hc - cum[i]
        a, r = slope[i], r0[i]
        denom = r + np.sqrt(np.maximum(r * r + 2 * a * local, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(denom > 0, 2 * local / denom, dur[i])
        out: npt.NDArray[np.float64] = starts[i] + np.minimum(t, dur[i])
        return out
