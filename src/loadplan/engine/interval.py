"""One worker's second as recorded, on its way to the coordinator.

Its own module, apart from the recorder that fills it, because it crosses a process boundary
(pickled through a pipe) and so stays a plain Python class: the recorder is compiled (see
``build.py``), and a compiled frozen dataclass does not unpickle.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RawInterval:
    """One worker's second as recorded: counts, and every latency as a plain integer (µs).

    Attributes mirror ``IntervalSnapshot``; ``latency``, ``service``, ``lag`` and the values of
    ``tags`` are the raw values instead of histograms. It pickles compactly (arrays as bytes),
    which is how it crosses from worker to coordinator, where ``IntervalSnapshot.from_raw``
    builds the histograms.
    """

    index: int
    start_s: float
    end_s: float
    stage: str = ""
    due: int = 0
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes_in: int = 0
    latency: array[int] = field(default_factory=lambda: array("q"))
    service: array[int] = field(default_factory=lambda: array("q"))
    lag: array[int] = field(default_factory=lambda: array("q"))
    tags: dict[str, array[int]] = field(default_factory=dict)
    tag_errors: dict[str, int] = field(default_factory=dict)
    inflight_max: int = 0
    backlog: int = 0
    cpu: float = 0.0
    waited: float = 0.0
    stolen: float = 0.0
    rss: int = 0
