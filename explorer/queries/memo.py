"""A small per-store memo shared by the query modules (no Streamlit here).

`memo(store, key, compute, size)` computes once per (store object, key) and keeps the result.
Results are kept in one LRU per kind of result (`key[0]`: "names", "coverage", "rows",
"fig-map" …), each bounded by its own `size`, so many cheap per-selection entries (figures,
frames) never push out the few expensive per-store ones (boundary layers, area names, the
catalogue's labels) that every rerun needs. Entries hold only a weak reference to their store:
when a store is dropped (a new build opened), its entries are forgotten at the next call.
Cached values are shared between sessions: callers never mutate them.

Garbage collection: a full collection walks every tracked Python object, and the app holds
~110,000 of them once plotly, Polars and the pages are imported (plus the boundary layers and
lookups cached here): each full collection then took 50-90 ms of CPU on the 2-core box, landing
in whichever rerun triggered it and by itself breaking the 100 ms p95. So the first time each
kind of long-lived result (`LASTING`) is computed in a process, everything alive is frozen
(`gc.freeze()`: moved out of the collector's sight; still freed by reference counting) and later
collections walk only what was made since. EXPLORER_GC_FREEZE=0 turns this off.
"""

from __future__ import annotations

import atexit
import gc
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable

from explorer.store import Store

DEFAULT_SIZE = 256
# Results that live as long as the store (one per store, area type or layer), computed in the first
# page views: when each is first made, what is alive then is long-lived too (see the docstring).
LASTING = frozenset({"names", "layers", "geojson", "bounds", "indicators", "indicator-labels", "used-topics",
                     "held", "current", "parent", "download-areas", "download-name_lookups", "search-index"})
FREEZE = os.environ.get("EXPLORER_GC_FREEZE", "1") != "0"
_FROZEN: set[str] = set()

_BUCKETS: dict[str, OrderedDict[tuple, tuple[weakref.ref, object]]] = {}
_LOCK = threading.Lock()  # Streamlit runs sessions in threads
_WATCHED: set[int] = set()  # ids of live stores with entries (a finalizer forgets them)
_DEAD: list[int] = []       # ids of collected stores, purged at the next call (list.append is atomic)


def _purge() -> None:
    """Drop the entries of stores that were garbage-collected (called with _LOCK held)."""
    while _DEAD:
        gone = _DEAD.pop()
        _WATCHED.discard(gone)
        for bucket in _BUCKETS.values():
            for full in [k for k in bucket if k[0] == gone]:
                del bucket[full]


def memo(store: Store, key: tuple, compute: Callable[[], object], size: int = DEFAULT_SIZE) -> object:
    """`compute()` once per (store, key); the LRU of `key[0]`'s kind keeps at most `size` results."""
    kind, full = key[0], (id(store), *key[1:])
    with _LOCK:
        _purge()
        bucket = _BUCKETS.setdefault(kind, OrderedDict())
        hit = bucket.get(full)
        if hit is not None and hit[0]() is store:
            bucket.move_to_end(full)
            return hit[1]
    value = compute()  # outside the lock: two sessions asking at once may both compute; equal results
    with _LOCK:
        _purge()
        if id(store) not in _WATCHED:
            _WATCHED.add(id(store))
            weakref.finalize(store, _DEAD.append, id(store))
        bucket = _BUCKETS.setdefault(kind, OrderedDict())
        bucket[full] = (weakref.ref(store), value)
        bucket.move_to_end(full)
        while len(bucket) > size:
            bucket.popitem(last=False)
    if kind in LASTING:
        settle(kind)
    return value


def settle(kind: str) -> None:
    """Freeze what is alive (gc.freeze) the first time a long-lived `kind` of result is made."""
    if FREEZE and kind not in _FROZEN:
        if not _FROZEN:  # let the interpreter's last collection see everything again at exit
            atexit.register(gc.unfreeze)
        _FROZEN.add(kind)
        gc.freeze()


def forget(keep: Iterable[str] = ()) -> None:
    """Empty every kind of result except `keep` (benchmarks: make the next call a cold one)."""
    kept = set(keep)
    with _LOCK:
        for kind, bucket in _BUCKETS.items():
            if kind not in kept:
                bucket.clear()


def cached_kinds() -> dict[str, int]:
    """How many results each kind holds (tests and diagnostics)."""
    with _LOCK:
        return {kind: len(bucket) for kind, bucket in _BUCKETS.items()}
