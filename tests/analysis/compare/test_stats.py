"""The bootstrap decision on synthetic seconds: A/A, a shifted distribution, too little data."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.analysis.compare.gate import decide, parse_fail_on
from loadplan.analysis.compare.samples import group_seconds
from loadplan.analysis.compare.stats import Figure, differences, figures_of
from loadplan.analysis.resample import block_weights
from loadplan.results.histogram import merged, new_histogram, record_many
from loadplan.results.snapshot import IntervalSnapshot


def run_seconds(
    seed: int, seconds: int = 30, rate: int = 400, scale: float = 1.0, fail: float = 0.0
) -> list[IntervalSnapshot]:
    """Seconds of lognormal latencies around 20 ms (times ``scale``), ``fail`` of them errors."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(seconds):
        values = rng.lognormal(np.log(20_000), 0.4, size=rate) * scale
        hist, tag_ja, tag_en = new_histogram(), new_histogram(), new_histogram()
        record_many(hist, values)
        record_many(tag_ja, values[: rate // 4])
        record_many(tag_en, values[rate // 4 :])
        failed = int(rng.binomial(rate, fail))
        out.append(
            IntervalSnapshot(
                index=i, start_s=float(i), end_s=float(i + 1), stage="sustained", due=rate,
                sent=rate, completed=rate, errors={"ok": rate - failed, "http_5xx": failed},
                latency=hist, tags={"lang=ja": tag_ja, "lang=en": tag_en},
            )
        )  # fmt: skip
    return out


def verdict_of(base: list[IntervalSnapshot], new: list[IntervalSnapshot], figure: Figure) -> str:
    gb = group_seconds(base)[("sustained", "")]
    gn = group_seconds(new)[("sustained", "")]
    diff = differences(gb, gn)[figure]
    return decide(diff, parse_fail_on(())[figure], (gb.seconds, gn.seconds))[0].value


@pytest.mark.parametrize(
    ("new", "figure", "expected"),
    [
        pytest.param({"seed": 2}, Figure.P99, "no change", id="a-a-p99"),
        pytest.param({"seed": 2}, Figure.P95, "no change", id="a-a-p95"),
        pytest.param({"seed": 2, "scale": 1.3}, Figure.P99, "regressed", id="slower-p99"),
        pytest.param({"seed": 2, "scale": 1.3}, Figure.P50, "regressed", id="slower-p50"),
        pytest.param({"seed": 2, "scale": 0.7}, Figure.P95, "improved", id="faster-p95"),
        pytest.param({"seed": 2, "scale": 1.03}, Figure.P95, "no change", id="within-threshold"),
        pytest.param({"seed": 2, "fail": 0.02}, Figure.ERROR_RATE, "regressed", id="errors"),
        pytest.param({"seed": 2, "seconds": 6}, Figure.P99, "inconclusive", id="too-short"),
        pytest.param({"seed": 2, "rate": 20}, Figure.P99, "inconclusive", id="too-few-answers"),
    ],
)
def test_verdict(new: dict[str, float], figure: Figure, expected: str) -> None:
    args = {"seconds": 30, "rate": 400, "scale": 1.0, "fail": 0.0} | new
    seed = int(args.pop("seed"))
    assert verdict_of(run_seconds(1), run_seconds(seed, **args), figure) == expected  # type: ignore[arg-type]


def test_point_percentile_is_hdrh_s_on_the_merged_seconds() -> None:
    seconds = run_seconds(3, seconds=12)
    whole = merged([s.latency for s in seconds])
    group = group_seconds(seconds)[("sustained", "")]
    point = figures_of(group, np.ones((1, group.seconds), dtype=np.int64))
    for figure, q in ((Figure.P50, 50), (Figure.P99, 99), (Figure.P999, 99.9)):
        assert point[figure][0] == whole.get_value_at_percentile(q) / 1000


def test_tags_are_grouped_and_the_partial_last_second_is_left_out() -> None:
    seconds = run_seconds(4, seconds=5)
    last = seconds[-1]
    partial = IntervalSnapshot(index=5, start_s=5.0, end_s=5.3, stage="sustained", due=9,
                               latency=last.latency)  # fmt: skip
    groups = group_seconds([*seconds, partial])
    assert sorted(groups) == [("sustained", ""), ("sustained", "lang=en"), ("sustained", "lang=ja")]
    assert groups[("sustained", "")].seconds == 5
    assert int(groups[("sustained", "lang=ja")].completed.sum()) == 5 * 100


def test_the_interval_holds_the_point_and_is_the_same_every_time() -> None:
    gb = group_seconds(run_seconds(1))[("sustained", "")]
    gn = group_seconds(run_seconds(2, scale=1.2))[("sustained", "")]
    first, again = differences(gb, gn)[Figure.P99], differences(gb, gn)[Figure.P99]
    assert first == again
    assert first.low is not None
    assert first.high is not None
    assert first.change is not None
    assert first.low <= first.change <= first.high
    assert 0.1 < first.change < 0.3


@pytest.mark.parametrize(
    ("count", "block"),
    [
        pytest.param(30, 5, id="whole-blocks"),
        pytest.param(33, 5, id="a-cut-block"),
        pytest.param(3, 5, id="shorter-than-a-block"),
        pytest.param(1, 5, id="one-second"),
    ],
)
def test_block_weights_draw_count_seconds_in_runs_of_block(count: int, block: int) -> None:
    weights = block_weights(count, block, 50, np.random.default_rng(7))
    assert weights.shape == (50, count)
    assert (weights.sum(axis=1) == count).all()
    assert weights.min() >= 0


def test_tag_combinations_merge_into_single_tags_and_count_cache_hits() -> None:
    hit, miss = new_histogram(), new_histogram()
    record_many(hit, [1_000] * 30 + [2_000] * 10)
    record_many(miss, [2_000] * 5 + [50_000] * 15)
    whole = merged([hit, miss])
    snap = IntervalSnapshot(
        index=0, start_s=0.0, end_s=1.0, stage="s", due=60, completed=60, errors={"ok": 60},
        latency=whole, tags={"lang=ja;x-cache=HIT": hit, "lang=ja;x-cache=MISS": miss},
    )  # fmt: skip
    groups = group_seconds([snap], cache_header="X-Cache")
    ja = groups[("s", "lang=ja")]
    assert ja.counts.toarray().sum() == 60
    assert ja.counts.toarray().tolist() == groups[("s", "")].counts.toarray().tolist()
    assert (int(groups[("s", "")].lookups[0]), int(groups[("s", "")].hits[0])) == (60, 40)
    assert int(groups[("s", "x-cache=HIT")].hits[0]) == 40
    assert int(groups[("s", "x-cache=MISS")].hits[0]) == 0
