"""Plotly charts that stay mounted across reruns: `plot(fig, key=...)` instead of st.plotly_chart.

Why: Streamlit gives a plotly chart an element id made from its whole figure, and the browser
keys the chart's React component by that id, so any change (a new period, a new colour mode)
unmounts the chart and builds a new one (for the WebGL map the app once had, a new context and
its shaders compiled again, 0.6–0.8 s without a GPU: BENCHMARKS.md). A custom component
(st.components.v2) keyed by `key` keeps its identity, and its script redraws the same <div> with
Plotly.react, which updates only what changed.

The script loads plotly.js cut to the app's trace types (explorer/plotly_bundle: 1.4 MB against
4.8 MB, about a second less before the first chart is drawn), copied once into ./static and served
same-origin at /app/static/, so it works offline. Where static serving is off, the copy cannot be
written, or a figure has a trace type the bundle lacks, `plot` falls back to st.plotly_chart.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import plotly
import plotly.io as pio
import streamlit as st
from plotly.offline import get_plotlyjs_version

from explorer import paths
from explorer.maps import TOPOJSON_URL

STATIC_VENDOR = paths.ROOT / "static" / "vendor"
STATIC_URL = "app/static/vendor"  # relative: resolves under the app's base URL
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # the full bundle
BUNDLE_DIR = Path(__file__).parent / "plotly_bundle"
# The trace types explorer/plotly_bundle/index.js registers (scatter comes with plotly.js's core).
BUNDLED_TRACES = frozenset({"scatter", "bar", "choropleth"})

_COMPONENT = st.components.v2.component(
    "explorer_plotly", js=(Path(__file__).with_suffix(".js")).read_text(encoding="utf-8"),
    # plotly.js adds its style sheets to the page's <head>: a shadow root would hide them.
    isolate_styles=False)


@functools.cache
def plotly_source() -> Path:
    """The plotly.js the browser gets: the app's bundle built for the plotly.js version the
    installed plotly package writes figures for, or (until it is rebuilt for a new version) that
    package's own full bundle. Looked up once per process: `drawable` asks on every chart."""
    bundle = BUNDLE_DIR / f"plotly-explorer-{get_plotlyjs_version()}.min.js"
    return bundle if bundle.exists() else PLOTLY_JS


def drawable(fig) -> bool:
    """Whether the served plotly.js can draw every trace of `fig`."""
    return plotly_source() == PLOTLY_JS or all(trace.type in BUNDLED_TRACES for trace in fig.data)


@functools.cache
def plotly_url() -> str | None:
    """The same-origin URL of plotly.js (`plotly_source`), copied into ./static once under a name
    that carries its version and a hash of its content (a rebuilt bundle is a new file, for this
    server and for browser caches; older copies are removed); None when the browser could not
    fetch it (static serving off, or ./static not writable)."""
    if not st.get_option("server.enableStaticServing"):
        return None
    source = plotly_source()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
    stem = "plotly-explorer" if source != PLOTLY_JS else "plotly"
    name = f"{stem}-{get_plotlyjs_version()}-{digest}.min.js"
    target = STATIC_VENDOR / name
    try:
        if not target.exists():
            STATIC_VENDOR.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(source, partial)
            partial.replace(target)
            for old in STATIC_VENDOR.glob("plotly*.min.js"):
                if old != target:
                    old.unlink(missing_ok=True)
    except OSError:
        return None
    return f"{STATIC_URL}/{name}"


def plot(fig, *, key: str, config: dict | None = None, label: str | None = None,
         on_click: Callable[[list[dict]], None] | None = None) -> None:
    """Draw `fig` in the chart slot `key` (one key per slot on a page, the same on every rerun).

    `on_click` gets the clicked points (x, y, customdata, curve_number, point_index) in a callback
    before the rerun, as st.plotly_chart's on_select would."""
    src = plotly_url()
    # Maps are geo subplots: plotly.js fetches its world topology from here, never from its CDN.
    config = {"topojsonURL": TOPOJSON_URL, **(config or {})}
    if src is None or not drawable(fig):
        st.plotly_chart(fig, key=key, config=config, theme=None,
                        **({"on_select": lambda: _fallback_click(key, on_click), "selection_mode": "points"}
                           if on_click else {}))
        return
    data = {"figure": figure_json(fig), "config": {"responsive": True, **config},
            "src": src, "clicks": on_click is not None, "label": label or _title(fig)}
    callbacks = {"on_click_change": lambda: on_click(clicked(key))} if on_click else {}
    _COMPONENT(key=key, data=data, **callbacks)


_JSON: dict[int, tuple[weakref.ref, str]] = {}
_JSON_LOCK = threading.Lock()


def figure_json(fig) -> str:
    """The figure as JSON, serialised once per figure object: the pages' figures come from per-store
    caches (queries/memo.py) and are never changed once built, so a rerun that shows the same
    figure (another session, a toggle back) reuses the text instead of spending 2-10 ms on it."""
    with _JSON_LOCK:
        hit = _JSON.get(id(fig))
        if hit is not None and hit[0]() is fig:
            return hit[1]
    text = pio.to_json(fig, validate=False)
    with _JSON_LOCK:
        _JSON[id(fig)] = (weakref.ref(fig, lambda _ref, key=id(fig): _JSON.pop(key, None)), text)
    return text


def clicked(key: str) -> list[dict]:
    """The points of the last click on chart `key` (empty when there was none)."""
    result = st.session_state.get(key)
    points = result.get("click") if hasattr(result, "get") else getattr(result, "click", None)
    return [p for p in points or [] if isinstance(p, dict)]


def _fallback_click(key: str, on_click: Callable[[list[dict]], None]) -> None:
    event = st.session_state.get(key)
    selection = event.get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    points = selection.get("points", []) if isinstance(selection, dict) else getattr(selection, "points", [])
    on_click([p for p in points if isinstance(p, dict)])


def _title(fig) -> str:
    """The chart's title as plain text, for screen readers."""
    title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else ""
    return " ".join(re.sub(r"<[^>]*>", " ", title).split()) or "Chart"
