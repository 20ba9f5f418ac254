"""report/plots.py: stage names above the time plots stay readable."""

from __future__ import annotations

import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from loadplan.report.data import Stage
from loadplan.report.figure import WIDTH_IN
from loadplan.report.plots import _shade_stages
from loadplan.results.histogram import new_histogram


def stage(name: str, start: float, end: float) -> Stage:
    return Stage(name, start, end, 0, 0, {}, new_histogram())


def test_stage_names_that_would_run_into_each_other_are_left_out() -> None:
    # A suite's shape: long stages, then a breakpoint search of 5-second steps.
    stages = [stage("baseline", 0, 30), stage("sustained", 30, 90)]
    stages += [stage(f"breakpoint-{i}", 90 + 5 * i, 95 + 5 * i) for i in range(12)]
    fig = Figure(figsize=(WIDTH_IN, 3.8))
    canvas = FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.8 / WIDTH_IN, right=1 - 2.1 / WIDTH_IN)
    ax = fig.add_subplot()
    ax.set_xlim(0, 150)
    _shade_stages(ax, stages, label=True)
    names = [t.get_text() for t in ax.texts]
    assert names[:3] == ["baseline", "sustained", "breakpoint-0"]
    assert 1 < len(names) - 2 < 12  # some steps named, not all twelve
    renderer = canvas.get_renderer()
    boxes = sorted((t.get_window_extent(renderer) for t in ax.texts), key=lambda b: b.x0)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, "two stage names overlap"
