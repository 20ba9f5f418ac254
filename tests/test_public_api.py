"""The façade lists every public name, sorted, and each one resolves (the httpx way)."""

from __future__ import annotations

import loadplan


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in loadplan.__all__ if n != "__version__"]
    assert names == sorted(set(names))


def test_every_public_name_resolves() -> None:
    for name in loadplan.__all__:
        assert getattr(loadplan, name) is not None, name


def test_public_classes_claim_the_package() -> None:
    for name in loadplan.__all__:
        value = getattr(loadplan, name)
        if isinstance(value, type):
            assert value.__module__.startswith("loadplan."), name
