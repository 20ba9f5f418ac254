"""The catalog: traffic shares, language mix, buckets and tags, whatever the source."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.workload.catalog import MixError, constant_catalog, pool_catalog, table_catalog
from loadplan.workload.pools import build_pool
from loadplan.workload.zipf import RankModel, zipf_weights

from .conftest import make_table


def _lang_shares(catalog) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {
        lang: round(float(catalog.probs[catalog.lang_of == i].sum()), 9)
        for i, lang in enumerate(catalog.langs)
    }


def test_pool_catalog_mix_and_ranks() -> None:
    pools = [build_pool("ja", 300, seed=1), build_pool("en", 200, seed=1)]
    catalog = pool_catalog(pools, {"en": 3.0, "ja": 1.0}, RankModel("zipf", s=1.0), 0.01, 0.09)
    assert catalog.langs == ("en", "ja"), "sorted by code"
    assert len(catalog) == 500
    assert catalog.probs.sum() == pytest.approx(1.0)
    assert _lang_shares(catalog) == {"en": 0.75, "ja": 0.25}
    np.testing.assert_allclose(catalog.probs[:200], 0.75 * zipf_weights(200, 1.0))
    assert np.bincount(catalog.bucket_of[200:], minlength=3).tolist() == [3, 27, 270]
    assert catalog.rows.row(200) == {"query": pools[0].text(0), "lang": "ja"}
    assert catalog.rows.columns == {"query", "lang"}


@pytest.mark.parametrize(
    ("weights", "mix", "model", "shares"),
    [
        pytest.param([6, 2, 1, 1], None, None, {"en": 0.8, "de": 0.2}, id="weights-set-the-mix"),
        pytest.param(
            [6, 2, 1, 1], {"en": 1, "de": 1}, None, {"en": 0.5, "de": 0.5}, id="mix-reweights"
        ),
        pytest.param(None, None, RankModel(), {"en": 0.5, "de": 0.5}, id="no-weights-by-count"),
        pytest.param(None, {"de": 1}, RankModel(), {"de": 1.0}, id="mix-drops-languages"),
    ],
)
def test_table_catalog_language_shares(
    weights: list[float] | None, mix: dict[str, float] | None, model: RankModel | None, shares: dict
) -> None:
    table = make_table(["a", "b", "c", "d"], weights, ["en", "en", "de", "de"])
    catalog = table_catalog(table, mix=mix, model=model, head=0.5, torso=0.0, label="t")
    assert _lang_shares(catalog) == shares
    assert catalog.probs.sum() == pytest.approx(1.0)


def test_weights_rank_rows_and_zero_weights_drop_out() -> None:
    table = make_table(["a", "b", "c", "d"], [1, 5, 0, 5])
    catalog = table_catalog(table, mix=None, model=None, head=1 / 3, torso=1 / 3, label="t")
    assert [catalog.rows.row(i)["query"] for i in range(len(catalog))] == ["b", "d", "a"]
    np.testing.assert_allclose(catalog.probs, [5 / 11, 5 / 11, 1 / 11])
    assert catalog.bucket_of.tolist() == [0, 1, 2]
    assert catalog.langs == ()
    assert (catalog.lang_of == -1).all()
    assert "lang" not in catalog.rows.columns


def test_model_replaces_weights_but_keeps_their_order() -> None:
    table = make_table(["a", "b", "c"], [1, 9, 3])
    catalog = table_catalog(
        table, mix=None, model=RankModel("uniform"), head=0.4, torso=0, label="t"
    )
    assert [catalog.rows.row(i)["query"] for i in range(3)] == ["b", "c", "a"]
    np.testing.assert_allclose(catalog.probs, [1 / 3] * 3)
    assert catalog.exponents == (("-", 0.0),)


def test_mix_naming_a_missing_language() -> None:
    table = make_table(["a"], None, ["en"])
    with pytest.raises(MixError, match=r"no queries in fr, ja \(the source has: en\)"):
        table_catalog(
            table, mix={"en": 1, "fr": 1, "ja": 1}, model=RankModel(), head=0.01, torso=0, label="t"
        )


def test_sequence_maps_rows_to_items() -> None:
    table = make_table(["a", "b", "c"], [1, 2, 3])
    sequence = np.array([0, 2, 2, 1])
    catalog = table_catalog(
        table, mix=None, model=None, head=0.01, torso=0, label="t", sequence=sequence
    )
    assert catalog.sequence is not None
    assert [catalog.rows.row(i)["query"] for i in catalog.sequence.tolist()] == ["a", "c", "c", "b"]


def test_tag_table() -> None:
    table = make_table(["a", "b"], None, ["en", None])
    catalog = table_catalog(table, mix=None, model=RankModel(), head=0.5, torso=0.5, label="t")
    tags = catalog.tag_table()
    assert tags[0] == ()
    assert tags[(0 + 1) * 4 + 0 + 1] == (("lang", "en"), ("bucket", "head"))
    assert tags[(-1 + 1) * 4 + 2 + 1] == (("bucket", "tail"),)


def test_constant_catalog() -> None:
    catalog = constant_catalog()
    assert len(catalog) == 1
    assert catalog.rows.row(0) == {}
    assert catalog.tag_table()[0] == ()
