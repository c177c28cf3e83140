"""Per-store memo for the area profile's precomputed tables (no Streamlit here).

`Store` is a dataclass (unhashable), and a new build gives a new Store object, so results are kept
per store object (by identity, checked through a weak reference) and per extra arguments, which
must be hashable. Only the last few stores are kept (the app holds one at a time), and per store
the most recently used `maxsize` results. Cached frames are shared: callers never mutate them.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

STORES_KEPT = 2


def per_store(fn: Callable[..., Any] | None = None, *, maxsize: int = 4096) -> Any:
    """Cache fn(store, *args) per store object and args; computed once even under concurrent calls.
    Use as @per_store or @per_store(maxsize=256)."""
    if fn is None:
        return functools.partial(per_store, maxsize=maxsize)
    cache: OrderedDict[int, tuple[weakref.ref, OrderedDict]] = OrderedDict()
    lock = threading.RLock()

    @functools.wraps(fn)
    def wrapper(store, *args):
        with lock:
            entry = cache.get(id(store))
            if entry is None or entry[0]() is not store:
                entry = (weakref.ref(store), OrderedDict())
                cache[id(store)] = entry
                while len(cache) > STORES_KEPT:
                    cache.popitem(last=False)
            results = entry[1]
            if args in results:
                results.move_to_end(args)
                return results[args]
            value = fn(store, *args)
            results[args] = value
            while len(results) > maxsize:
                results.popitem(last=False)
            return value

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper
