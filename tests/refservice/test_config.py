"""refservice/config.py: option text to a validated ServiceConfig; one line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loadplan.errors import PlanError
from loadplan.refservice.config import FaultConfig, parse_config


def test_defaults() -> None:
    config = parse_config()
    assert (config.host, config.port, config.docs, config.workers) == ("127.0.0.1", 8080, 50_000, 1)
    assert config.cache.kind == "lru"
    assert config.cache.ttl == 300.0
    assert not config.faults.active
    assert config.max_concurrency is None
    assert len(config.languages) >= 9


def test_every_option_parsed() -> None:
    config = parse_config(
        port=0,
        docs=2000,
        cache="redis://127.0.0.1:6390/2",
        cache_size=50,
        cache_ttl="2m",
        workers=2,
        seed=7,
        data_dir="/tmp/x",
        admin_token="T",
        added_latency="20ms:5ms",
        error_rate=0.01,
        stall_every="30s",
        stall_for="1s",
        slow_fraction="0.05:500ms",
        languages="en,zh",
        max_concurrency=8,
    )
    assert config.max_concurrency == 8
    assert config.cache.kind == "redis"
    assert config.cache.url == "redis://127.0.0.1:6390/2"
    assert config.cache.ttl == 120.0
    assert config.data_dir == Path("/tmp/x")
    assert config.languages == ("en", "zh")
    assert config.faults == FaultConfig(
        added_latency=0.02,
        added_jitter=0.005,
        error_rate=0.01,
        stall_every=30.0,
        stall_for=1.0,
        slow_fraction=0.05,
        slow_latency=0.5,
    )
    assert config.faults.active
    assert "stall 1s every 30s" in config.faults.describe()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"port": 70000}, "--port = 70000: use 1-65535, or 0"),
        ({"docs": 3}, "--docs = 3: use 10 (one per language)"),
        ({"cache": "memcached://x"}, "--cache = 'memcached://x': use lru, none, or redis://"),
        ({"cache": "redis://h:notaport/0"}, "write a Redis URL as redis://HOST:PORT/DB"),
        ({"cache_size": 0}, "--cache-size = 0: must be >= 1"),
        ({"cache_ttl": "soon"}, "--cache-ttl = 'soon': not a duration"),
        ({"cache_ttl": "0s"}, "--cache-ttl = '0s': must be > 0"),
        ({"workers": 0}, "--workers = 0: use 1-64"),
        ({"admin_token": " "}, "--admin-token = ' ': give a non-empty token"),
        ({"added_latency": "20xs"}, "--added-latency = '20xs': not a duration"),
        ({"added_latency": "5ms:10ms"}, "jitter must not exceed the latency"),
        ({"error_rate": 1.5}, "--error-rate = 1.5: use a fraction from 0 to 1"),
        ({"stall_every": "30s"}, "give both --stall-every and --stall-for"),
        ({"stall_every": "1s", "stall_for": "2s"}, "shorter than --stall-every"),
        ({"slow_fraction": "0.05"}, "write FRACTION:DELAY, e.g. 0.05:500ms"),
        ({"slow_fraction": "2:1s"}, "write FRACTION:DELAY"),
        ({"languages": "en,xx"}, "--languages = 'en,xx': use codes from"),
        ({"max_concurrency": 0}, "--max-concurrency = 0: use 1-100000 requests at once"),
        ({"max_concurrency": 100_001}, "--max-concurrency = 100001: use 1-100000"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_bad_options_name_option_value_and_fix(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(PlanError) as info:
        parse_config(**options)
    assert len(info.value.problems) == 1
    assert expected in info.value.problems[0]
    assert "\n" not in info.value.problems[0]


def test_all_problems_reported_together() -> None:
    with pytest.raises(PlanError) as info:
        parse_config(port=-1, workers=0, error_rate=-1)
    assert len(info.value.problems) == 3
