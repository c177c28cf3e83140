"""Streamlit glue for the catalogue, indicator, coherence, releases and producers pages.

`bind` keeps a keyed widget and the URL in step: when the URL value differs from the one this
session last wrote (first visit, a shared link, back/forward), the widget is reset to it;
otherwise the widget keeps what the user chose. Pages then write the canonical query back with
`write_url`.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

from explorer import ui
from explorer.state import UrlState


def bind(key: str, url_value: object) -> None:
    """Call before creating the widget with `key`."""
    marker = f"_url_{key}"
    if marker not in st.session_state or st.session_state[marker] != url_value:
        st.session_state[key] = url_value
        st.session_state[marker] = url_value


def chosen(key: str, value: object) -> None:
    """Record what the widget now holds, so the next run does not reset it."""
    st.session_state[f"_url_{key}"] = value


def write_url(state: UrlState) -> None:
    query = state.query()
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


def link(text: object, url: str) -> str:
    """A markdown link with escaped text (urls are built from ids we hold, never from free text)."""
    label = ui.text(text).replace("[", "&#91;").replace("]", "&#93;")
    return f"[{label}]({url})"


def page_link(page: str, label: object, params: dict[str, str] | None = None, icon: str | None = None,
              where=None) -> None:
    """A link to another page of the app that opens in the same tab, keeping the session
    (st.page_link). A page file run on its own (AppTest) has no navigation to link into, so there
    it falls back to a plain markdown link to the same address."""
    target = where or st
    text = ui.text(label).replace("[", "&#91;").replace("]", "&#93;")
    try:
        target.page_link(f"pages/{page}.py", label=text, query_params=params or None, icon=icon)
    except StreamlitAPIException:
        url = f"/{URL_PATHS.get(page, page)}" + (f"?{urlencode(params)}" if params else "")
        target.markdown(f"[{text}]({url})")


# Page file → url_path, as registered in app.py (used only by the fallback above).
URL_PATHS = {"catalogue": "indicators"}


def number(value: object, decimals: int = 2) -> str:
    """Two decimals, more for small differences (0.0104 → 0.010) so they do not read as 0.01."""
    if value is None or not isinstance(value, int | float) or value != value:
        return "—"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    size = abs(value)
    if 0 < size < 0.1:
        decimals = 3 if size >= 0.01 else 4
    return f"{value:,.{decimals}f}".replace("-", "−")


def difference_unit(unit: str | None) -> str:
    """The unit of a difference between two values: percentage points for percentages."""
    return "percentage points" if unit == "%" else (unit or "")


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"
