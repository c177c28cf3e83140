"""The per-store memo shared by the query modules (explorer/queries/memo.py)."""

from __future__ import annotations

import gc

import pytest

from explorer.queries import memo


class FakeStore:
    """Anything weak-referenceable stands in for a Store: the memo keys on identity only."""


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(memo, "_BUCKETS", {})
    monkeypatch.setattr(memo, "_WATCHED", set())
    monkeypatch.setattr(memo, "_DEAD", [])
    monkeypatch.setattr(memo, "_FROZEN", set())
    return memo


def test_computes_once_per_store_and_key(fresh):
    calls = []
    one, two = FakeStore(), FakeStore()
    for store in (one, one, two):
        fresh.memo(store, ("names", "ccg"), lambda store=store: calls.append(store) or len(calls))
    assert calls == [one, two]
    assert fresh.memo(one, ("names", "ccg"), lambda: 99) == 1
    assert fresh.memo(one, ("names", "icb"), lambda: 99) == 99


def test_each_kind_is_bounded_on_its_own(fresh):
    # Many per-selection figures must not push out a per-store lookup every rerun needs.
    store = FakeStore()
    fresh.memo(store, ("layers", "ccg"), lambda: "polygons")
    for n in range(100):
        fresh.memo(store, ("fig-map", n), lambda n=n: n, size=64)
    assert fresh.cached_kinds() == {"layers": 1, "fig-map": 64}
    assert fresh.memo(store, ("layers", "ccg"), lambda: "read again") == "polygons"
    assert fresh.memo(store, ("fig-map", 0), lambda: "built again", size=64) == "built again"  # oldest went
    assert fresh.memo(store, ("fig-map", 99), lambda: "built again", size=64) == 99


def test_a_dropped_store_is_forgotten(fresh):
    store, other = FakeStore(), FakeStore()
    fresh.memo(store, ("rows", 1), lambda: "a")
    fresh.memo(other, ("rows", 1), lambda: "b")
    del store
    gc.collect()
    fresh.memo(other, ("rows", 2), lambda: "c")  # the next call purges the dead store's entries
    assert fresh.cached_kinds() == {"rows": 2}
    assert fresh.memo(other, ("rows", 1), lambda: "again") == "b"


def test_forget_keeps_only_the_kinds_named(fresh):
    store = FakeStore()
    fresh.memo(store, ("names", "ccg"), lambda: 1)
    fresh.memo(store, ("rows", 1), lambda: 2)
    fresh.forget(keep={"names"})
    assert fresh.cached_kinds() == {"names": 1, "rows": 0}


def test_long_lived_results_freeze_the_heap_once_per_kind(fresh, monkeypatch):
    frozen = []
    monkeypatch.setattr(memo.gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(memo, "FREEZE", True)
    store = FakeStore()
    fresh.memo(store, ("rows", 1), lambda: 1)  # per selection: never
    assert frozen == []
    fresh.memo(store, ("names", "ccg"), lambda: 1)
    fresh.memo(store, ("names", "icb"), lambda: 1)
    fresh.memo(FakeStore(), ("names", "ccg"), lambda: 1)
    assert frozen == [1]
    fresh.memo(store, ("geojson", "ccg", "2020"), lambda: 1)
    assert frozen == [1, 1]
    monkeypatch.setattr(memo, "FREEZE", False)
    fresh.memo(store, ("layers", "ccg"), lambda: 1)
    assert frozen == [1, 1]
