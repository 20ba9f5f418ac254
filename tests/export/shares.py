"""What the stub server counted (its /__counts), as shares per tag, beside the export's."""

from __future__ import annotations

from collections import Counter

from loadplan.export.sequence import Export


def seen_shares(export: Export, counts: dict[str, int], tag: str) -> dict[str, float]:
    """Share of the received requests per value of ``tag``, each target tagged as exported."""
    tag_of = {r.target: dict(r.tags).get(tag, "-") for r in export.requests}
    unknown = sorted(set(counts) - set(tag_of))
    if unknown:
        msg = f"the server saw targets that are not in the export: {unknown[:3]}"
        raise AssertionError(msg)
    seen: Counter[str] = Counter()
    for target, count in counts.items():
        seen[tag_of[target]] += count
    total = sum(seen.values())
    return {value: seen[value] / total for value in export.shares(tag)}
