"""The catalog: every distinct request a workload can send, its share of traffic and its tags.

Whatever the source (built-in pools, a query file, an access log), it ends up here in one shape,
so sampling, tagging and describing are written once. Items are grouped by language (sorted by
code, so reordering a plan's language table changes nothing) and ranked within each group, most
popular first; a group's ranks decide the head / torso / tail bucket of its items.

A language mix sets each language's share of traffic; inside a language, the popularity model
(or the file's weights) splits that share between its queries.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from loadplan.engine.request import Tags
from loadplan.workload.pools import QueryPool
from loadplan.workload.sources import QueryTable
from loadplan.workload.zipf import BUCKETS, RankModel, bucket_codes


class MixError(ValueError):
    """The language mix names a language the source has no queries in."""


class Rows(Protocol):
    """The columns of each item, for rendering its request and describing its query."""

    @property
    def columns(self) -> frozenset[str]: ...

    def row(self, item: int) -> dict[str, str]: ...

    def query_lengths(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Terms and characters of each item's query."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class Catalog:
    """Distinct requests with their traffic shares and tags.

    Attributes:
        label: where the items came from, for people.
        probs: each item's share of traffic; sums to 1.
        langs: the language codes items refer to.
        lang_of: index into ``langs`` per item, -1 when the item has no language.
        bucket_of: index into ``BUCKETS`` per item, -1 when untagged.
        rows: the items' columns.
        exponents: (language, Zipf exponent) per group that used a rank model.
        sequence: for timing replay, the item of each recorded request in time order.
        offsets: for timing replay, each recorded request's due time in seconds.
    """

    label: str
    probs: npt.NDArray[np.float64]
    langs: tuple[str, ...]
    lang_of: npt.NDArray[np.int16]
    bucket_of: npt.NDArray[np.int8]
    rows: Rows
    exponents: tuple[tuple[str, float], ...] = ()
    sequence: npt.NDArray[np.int64] | None = None
    offsets: npt.NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.probs)

    def tag_table(self) -> list[Tags]:
        """Tags of every (language, bucket) pair, indexed by ``(lang + 1) * 4 + bucket + 1``.

        Sharing one tuple per pair keeps the engine's per-tag dictionaries fast and small.
        """
        table: list[Tags] = []
        for lang in (None, *self.langs):
            for bucket in (None, *BUCKETS):
                tags = (("lang", lang),) if lang is not None else ()
                table.append(tags + ((("bucket", bucket),) if bucket is not None else ()))
        return table


class _NoRows:
    columns: frozenset[str] = frozenset()

    def row(self, item: int) -> dict[str, str]:
        return {}

    def query_lengths(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class _PoolRows:
    pools: tuple[QueryPool, ...]
    starts: tuple[int, ...]
    columns: frozenset[str] = frozenset({"query", "lang"})

    def row(self, item: int) -> dict[str, str]:
        k = bisect.bisect_right(self.starts, item) - 1
        pool = self.pools[k]
        return {"query": pool.text(item - self.starts[k]), "lang": pool.lang}

    def query_lengths(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        terms = np.concatenate([p.term_counts() for p in self.pools])
        return terms, np.concatenate([p.char_counts() for p in self.pools])


@dataclass(frozen=True, slots=True, eq=False)
class _TableRows:
    table: QueryTable
    perm: npt.NDArray[np.int64]
    columns: frozenset[str]

    def row(self, item: int) -> dict[str, str]:
        r = int(self.perm[item])
        out = {name: values[r] for name, values in self.table.columns.items()}
        out["lang"] = self.table.langs[r] or ""
        return out

    def query_lengths(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        queries = self.table.columns["query"]
        picked = [queries[r] for r in self.perm.tolist()]
        # Whitespace terms: exact for space-separated languages, 1 per query for CJK text.
        terms = np.fromiter((len(q.split()) for q in picked), dtype=np.int64, count=len(picked))
        chars = np.fromiter((len(q) for q in picked), dtype=np.int64, count=len(picked))
        return terms, chars


def constant_catalog() -> Catalog:
    """One untagged item: the plain request of a plan without a query source."""
    return Catalog(
        label="none (one fixed request)",
        probs=np.ones(1),
        langs=(),
        lang_of=np.full(1, -1, dtype=np.int16),
        bucket_of=np.full(1, -1, dtype=np.int8),
        rows=_NoRows(),
    )


def pool_catalog(
    pools: Sequence[QueryPool],
    mix: Mapping[str, float],
    model: RankModel,
    head: float,
    torso: float,
) -> Catalog:
    """Built-in pools, one per language of ``mix`` (weights need not sum to 1)."""
    pools = sorted(pools, key=lambda p: p.lang)
    shares = _normalized([mix[p.lang] for p in pools])
    probs, buckets, exponents = [], [], []
    for pool, share in zip(pools, shares, strict=True):
        exponents.append((pool.lang, model.exponent(len(pool))))
        probs.append(share * model.weights(len(pool)))
        buckets.append(bucket_codes(len(pool), head, torso))
    sizes = [len(p) for p in pools]
    label = f"built-in pools ({len(pools)} languages, {sum(sizes):,} queries)"
    return Catalog(
        label=label,
        probs=np.concatenate(probs),
        langs=tuple(p.lang for p in pools),
        lang_of=np.repeat(np.arange(len(pools), dtype=np.int16), sizes),
        bucket_of=np.concatenate(buckets),
        rows=_PoolRows(tuple(pools), tuple(np.cumsum([0, *sizes[:-1]]).tolist())),
        exponents=tuple(exponents),
    )


def table_catalog(
    table: QueryTable,
    *,
    mix: Mapping[str, float] | None,
    model: RankModel | None,
    head: float,
    torso: float,
    label: str,
    sequence: npt.NDArray[np.int64] | None = None,
    offsets: npt.NDArray[np.float64] | None = None,
) -> Catalog:
    """Rows of a query file or log. ``model`` None uses the table's weights as popularity.

    Rows are ranked by weight (file order breaks ties, and ranks rows without weights);
    ``sequence`` (table rows in send order) is mapped to items for timing replay.
    Raises ValueError when ``mix`` names a language the table does not have.
    """
    weights = table.weights if table.weights is not None else np.ones(len(table))
    langs = sorted({lang for lang in table.langs if lang is not None})
    if mix is not None:
        missing = sorted(set(mix) - set(langs))
        if missing:
            have = ", ".join(langs) or "none"
            msg = f"no queries in {', '.join(missing)} (the source has: {have})"
            raise MixError(msg)
    code = {lang: i for i, lang in enumerate(langs)}
    row_codes = np.fromiter(
        (code.get(lang, -1) if lang is not None else -1 for lang in table.langs),
        dtype=np.int64,
        count=len(table),
    )
    groups: list[tuple[str | None, npt.NDArray[np.int64]]] = []
    for index, lang in enumerate((None, *langs)):
        members = np.flatnonzero(row_codes == index - 1)
        members = members[np.argsort(-weights[members], kind="stable")]
        members = members[weights[members] > 0]
        if len(members) and (mix is None or mix.get(lang or "", 0.0) > 0):
            groups.append((lang, members))
    if not groups:
        msg = "no queries left: every query has weight 0 or a language the mix leaves out"
        raise ValueError(msg)
    if mix is not None:
        shares = _normalized([mix[lang or ""] for lang, _ in groups])
    elif model is None:
        shares = _normalized([float(weights[m].sum()) for _, m in groups])
    else:
        shares = _normalized([float(len(m)) for _, m in groups])
    probs, buckets, exponents = [], [], []
    for (lang, members), share in zip(groups, shares, strict=True):
        if model is None:
            group_probs = weights[members] / weights[members].sum()
        else:
            group_probs = model.weights(len(members))
            exponents.append((lang or "-", model.exponent(len(members))))
        probs.append(share * group_probs)
        buckets.append(bucket_codes(len(members), head, torso))
    perm = np.concatenate([m for _, m in groups])
    used = [lang for lang, _ in groups if lang is not None]
    lang_index = {lang: i for i, lang in enumerate(used)}
    lang_of = np.concatenate(
        [np.full(len(m), lang_index.get(lang or "", -1), dtype=np.int16) for lang, m in groups]
    )
    if sequence is not None:
        item_of_row = np.full(len(table), -1, dtype=np.int64)
        item_of_row[perm] = np.arange(len(perm))
        sequence = item_of_row[sequence]
    columns = frozenset(table.columns) | ({"lang"} if used else frozenset())
    return Catalog(
        label=label,
        probs=np.concatenate(probs),
        langs=tuple(used),
        lang_of=lang_of,
        bucket_of=np.concatenate(buckets),
        rows=_TableRows(table, perm, columns),
        exponents=tuple(exponents),
        sequence=sequence,
        offsets=offsets,
    )


def _normalized(values: Sequence[float]) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    return np.asarray(array / array.sum(), dtype=np.float64)
