"""The fleet of a distributed run in one line, as the terminal summary and the report print it."""

from __future__ import annotations

from typing import Any

import pytest

from loadplan.report.cluster import cluster_line

ACTOR = {"node_ip": "10.0.0.2", "cpu_mean": 0.31, "cpu_max": 0.52, "lag_p99_max_ms": 1.234}


@pytest.mark.parametrize(
    ("cluster", "line"),
    [
        pytest.param(
            {
                "ray": "10.0.0.1:6379",
                "nodes": [{"ip": "10.0.0.2", "node_id": "0123456789abcdef"}],
                "actors": [{"worker": 0, **ACTOR}],
                "busiest": 0,
                "lost": [],
            },
            "cluster: Ray 10.0.0.1:6379 · 1 node: 10.0.0.2 (01234567) · 1 actor · busiest "
            "actor 0 on 10.0.0.2: cpu mean 31%, max 52% of a core, lag p99 up to 1.23 ms",
            id="one-node",
        ),
        pytest.param(
            {
                "ray": "auto",
                "nodes": [
                    {"ip": "10.0.0.2", "node_id": "aaaaaaaa11"},
                    {"ip": "10.0.0.3", "node_id": "bbbbbbbb22"},
                ],
                "actors": [{"worker": 0, **ACTOR}, {"worker": 1, **ACTOR, "node_ip": "10.0.0.3"}],
                "busiest": 1,
                "lost": [0],
            },
            "cluster: Ray auto · 2 nodes: 10.0.0.2 (aaaaaaaa), 10.0.0.3 (bbbbbbbb) · 2 actors · "
            "busiest actor 1 on 10.0.0.3: cpu mean 31%, max 52% of a core, lag p99 up to "
            "1.23 ms · lost: actor 0",
            id="two-nodes-one-lost",
        ),
        pytest.param(
            {
                "ray": "auto",
                "nodes": [{"ip": "10.0.0.2", "node_id": "0123456789abcdef"}],
                "actors": [{"worker": 0, **ACTOR, "nice": 15}, {"worker": 1, **ACTOR, "nice": 0}],
                "busiest": 0,
                "lost": [],
            },
            "cluster: Ray auto · 1 node: 10.0.0.2 (01234567) · 2 actors · busiest actor 0 on "
            "10.0.0.2: cpu mean 31%, max 52% of a core, lag p99 up to 1.23 ms · 1 actor at "
            "niceness 15 (set RAY_worker_niceness=0 for ray start)",
            id="an-actor-left-at-rays-niceness",
        ),
    ],
)
def test_the_cluster_line_names_nodes_the_busiest_actor_and_losses(
    cluster: dict[str, Any], line: str
) -> None:
    assert cluster_line(cluster) == line
