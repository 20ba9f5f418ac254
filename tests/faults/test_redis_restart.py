"""The reference service's Redis killed with SIGKILL mid-run and started again on its port:
the service keeps answering from its index (every answer ok), the cache hit rate drops to
nothing during the outage and comes back after it, in what the run recorded: the X-Cache tag
of every second and the service's own counters scraped into target_metrics.jsonl."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadplan.refservice.background import ServiceProcess
from loadplan.results.result import RunResult
from tests.refservice.support import RedisServer

from .support import finish, start_loadplan, summary_of, wait_for_second

pytestmark = pytest.mark.slow

RATE, SECONDS = 200, 24
KILL_AT, DOWN_S = 8, 4.0
"""Redis is killed once second 8 is on disk and started again 4 s later."""
HITS = "refservice_cache_hits_total"
MISSES = "refservice_cache_misses_total"
BYPASSED = "refservice_cache_bypassed_total"
UP = "refservice_cache_up"
PLAN = """\
[load]
rate = {rate}
duration = "{seconds}s"
[client]
timeout = "2s"
capture_header = "X-Cache"
[workload.source]
kind = "builtin"
pool_size = 40        # 80 distinct searches: the cache is warm within the first second
[workload]
languages = {{ en = 0.5, de = 0.5 }}
[scrape]
urls = ["/metrics"]
interval = "1s"
series = ["{bypassed}", "{up}"]
[slo]
p95 = "2s"
error_rate = "1%"
[generator]
lag_bound = "1s"      # the 2-core machine is shared: judge the service, not the generator
"""


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; .ci/run must apt-get install it")
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def service(redis: RedisServer, tmp_path: Path) -> Iterator[ServiceProcess]:
    args = ["--port", "0", "--docs", "2000", "--seed", "42", "--languages", "en,de"]
    args += ["--cache", redis.url, "--data-dir", str(tmp_path / "data")]
    svc = ServiceProcess.start(args)
    yield svc
    code = svc.stop()
    assert code == 0, svc.stderr
    assert not [line for line in svc.stderr if "Traceback" in line], svc.stderr


def cache_states(row: dict[str, Any]) -> dict[str, int]:
    """A second's answers by X-Cache value (tags are combinations: lang=en;...;x-cache=HIT)."""
    out: dict[str, int] = {}
    for key, tag in row["tags"].items():
        for part in key.split(";"):
            name, _, value = part.partition("=")
            if name == "x-cache":
                out[value] = out.get(value, 0) + int(tag["count"])
    return out


def hit_share(rows: list[dict[str, Any]]) -> float:
    states = [cache_states(row) for row in rows]
    answered = sum(sum(s.values()) for s in states)
    return sum(s.get("HIT", 0) for s in states) / answered


def test_the_service_answers_through_a_redis_restart_and_its_cache_comes_back(
    redis: RedisServer, service: ServiceProcess, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    text = PLAN.format(rate=RATE, seconds=SECONDS, bypassed=BYPASSED, up=UP)
    plan.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    run = start_loadplan("run", str(plan), "--url", service.url, "--out", str(out), "--no-report")
    wait_for_second(out, KILL_AT, run)
    redis.kill()  # SIGKILL: the service's connections are reset, its next calls refused
    time.sleep(DOWN_S)
    redis.start()  # same port, no persistence: an empty cache
    code, stdout, stderr = finish(run)

    # The run passed: the service answered every search, from its index while Redis was gone.
    assert code == 0, stderr + stdout
    summary = summary_of(out)
    requests = summary["requests"]
    assert requests["due"] == RATE * SECONDS
    assert requests["completed"] == requests["due"]
    failed = sum(n for name, n in summary["errors"].items() if name != "ok")
    assert failed / requests["completed"] < 0.01, summary["errors"]
    assert summary["verdict"]["pass"] is True

    # Per second, from the X-Cache tag: warm before, BYPASS during, warm again after.
    rows = RunResult.load(out).intervals
    assert len(rows) == SECONDS
    bypassed = [r["index"] for r in rows if cache_states(r).get("BYPASS", 0) > 0]
    assert bypassed, "no second saw X-Cache: BYPASS"
    first, last = bypassed[0], bypassed[-1]
    assert KILL_AT <= first <= last < SECONDS - 4, bypassed
    # Back once and for good: from the first hit after the outage, the cache stays up (a
    # pooled connection left dead by the kill must not mark it down again).
    back = next(r["index"] for r in rows if r["index"] > first and cache_states(r).get("HIT"))
    relapses = [r["index"] for r in rows[back + 1 :] if cache_states(r).get("BYPASS", 0) > 20]
    assert relapses == [], [cache_states(r) for r in rows[back:]]
    inside = [r for r in rows if first < r["index"] < last]  # seconds wholly in the outage
    assert inside, bypassed
    assert hit_share(inside) < 0.05
    assert hit_share(rows[2:KILL_AT]) > 0.8
    assert hit_share(rows[last + 2 :]) > 0.8  # refilled within a second or two

    # The service's counters, as scraped during the run, tell the same story.
    result = RunResult.load(out)
    metrics = result.target_metrics(HITS, MISSES)
    assert metrics is not None
    assert metrics.scraped
    outage = (float(first + 1), float(last))
    rates = {
        "before": metrics.cache_hit_rate(2.0, float(KILL_AT)),
        "during": metrics.cache_hit_rate(*outage),
        "after": metrics.cache_hit_rate(float(last + 2), float(SECONDS)),
    }
    assert None not in rates.values(), rates
    assert rates["before"] > 0.8, rates  # type: ignore[operator]  # None ruled out above
    assert rates["during"] < 0.05, rates  # type: ignore[operator]
    assert rates["after"] > 0.8, rates  # type: ignore[operator]
    counted = metrics.increase(BYPASSED, 0.0, float(SECONDS)) or 0.0
    tagged = sum(cache_states(r).get("BYPASS", 0) for r in rows)
    assert counted >= tagged > 0  # every BYPASS answer was counted by the service
    ups = [(r["t_s"], r[UP]) for r in result.target_metrics().rows if r.get("up")]
    down = [up for t, up in ups if outage[0] <= t <= outage[1]]
    assert down, ups
    assert set(down) == {0}, ups
    assert ups[-1][1] == 1, ups
    assert metrics.restarts() == []  # the service itself never restarted
