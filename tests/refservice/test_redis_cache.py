"""refservice/redis_cache.py against a real redis-server: two service processes share one cache;
Redis dying mid-run costs the cache, never an answer; Redis coming back brings the cache back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loadplan.refservice.background import ServiceProcess

from .conftest import DOCS, SEED
from .support import Http, RedisServer, metric, search_path


def _until(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_two_processes_share_the_cache_and_survive_redis_loss(
    redis_server: RedisServer, index_dir: Path, client: Http
) -> None:
    args = ["--port", "0", "--docs", str(DOCS), "--seed", str(SEED)]
    args += ["--data-dir", str(index_dir), "--cache", redis_server.url, "--admin-token", "t"]
    with ThreadPoolExecutor(2) as pool:  # start both at once: each takes a second or two
        starting = [pool.submit(ServiceProcess.start, args) for _ in range(2)]
        started = [f.result() for f in starting if f.exception() is None]
    try:
        assert len(started) == 2, [f.exception() for f in starting]
        a, b = started
        _shared_lost_and_recovered(redis_server, a, b, client)
    finally:
        codes = [svc.stop() for svc in started]
    assert codes == [0, 0], [svc.stderr for svc in started]
    assert not [line for svc in started for line in svc.stderr if "Traceback" in line]


def _shared_lost_and_recovered(
    redis: RedisServer, a: ServiceProcess, b: ServiceProcess, client: Http
) -> None:
    the = search_path("the", "en")
    assert client.request(a.url, the).headers["x-cache"] == "MISS"
    assert client.request(b.url, the).headers["x-cache"] == "HIT"  # stored by the other process
    assert client.request(b.url, search_path("de", "es")).headers["x-cache"] == "MISS"
    metrics_b = client.get(b.url, "/metrics").body.decode()
    assert metric(metrics_b, "refservice_cache_hits_total") == 1
    assert metric(metrics_b, "refservice_cache_size") == 2  # keys in the Redis database
    assert metric(metrics_b, "refservice_cache_up") == 1

    flush = client.request(a.url, "/admin/cache/flush", "POST", {"Authorization": "Bearer t"})
    assert flush.json() == {"flushed": 2, "cache": "redis"}
    assert client.request(b.url, the).headers["x-cache"] == "MISS"

    redis.kill()
    replies = [client.request(a.url, search_path(w, "en")) for w in ("the", "of", "and") * 3]
    assert [r.status for r in replies] == [200] * 9
    assert {r.headers["x-cache"] for r in replies} == {"BYPASS"}
    assert replies[0].json()["total"] > 0
    assert client.get(a.url, "/healthz").json()["cache_ok"] is False
    metrics_a = client.get(a.url, "/metrics").body.decode()
    assert metric(metrics_a, "refservice_cache_bypassed_total") >= 9
    assert metric(metrics_a, "refservice_cache_up") == 0

    redis.start()  # same port, empty
    assert _until(lambda: client.request(a.url, the).headers["x-cache"] != "BYPASS")
    assert _until(lambda: client.request(b.url, the).headers["x-cache"] == "HIT")
    assert client.get(a.url, "/healthz").json()["cache_ok"] is True
