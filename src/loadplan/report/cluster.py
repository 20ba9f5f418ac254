"""A distributed run's fleet in words, for the terminal summary and the report alike."""

from __future__ import annotations

from typing import Any


def cluster_line(cluster: dict[str, Any]) -> str:
    """A distributed run's fleet in one line: where it ran, and its busiest actor's health."""
    nodes = cluster.get("nodes", [])
    actors = cluster.get("actors", [])
    where = ", ".join(f"{n.get('ip', '?')} ({str(n.get('node_id', ''))[:8]})" for n in nodes)
    line = f"cluster: Ray {cluster.get('ray', '?')} · {_count(len(nodes), 'node')}: {where}"
    line += f" · {_count(len(actors), 'actor')}"
    busiest = next((a for a in actors if a.get("worker") == cluster.get("busiest")), None)
    if busiest is not None:
        line += (
            f" · busiest actor {busiest['worker']} on {busiest.get('node_ip', '?')}: cpu mean "
            f"{busiest.get('cpu_mean', 0):.0%}, max {busiest.get('cpu_max', 0):.0%} of a core, "
            f"lag p99 up to {busiest.get('lag_p99_max_ms', 0):.2f} ms"
        )
    niced = [a for a in actors if (a.get("nice") or 0) > 0]
    if niced:
        # Ray's worker niceness, which the actor could not undo: it sends behind the node's
        # other processes (docs/distributed.md, "Priority").
        line += (
            f" · {_count(len(niced), 'actor')} at niceness {max(a['nice'] for a in niced)} "
            "(set RAY_worker_niceness=0 for ray start)"
        )
    lost = cluster.get("lost", [])
    if lost:
        line += f" · lost: {', '.join(f'actor {w}' for w in lost)}"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
