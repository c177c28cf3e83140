"""Shared by the AppTest page tests: run one page file with a query string."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from explorer import paths


def run_page(page: str, query: dict | None = None, timeout: int = 120) -> AppTest:
    """Run pages/<page>.py with the given query parameters; fail on any exception."""
    at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def figure_of(element) -> dict | None:
    """The plotly figure an element draws (explorer.ui_plotly's component, or st.plotly_chart where
    that falls back), as the JSON the browser gets; None for any other element."""
    if getattr(element, "type", None) == "plotly_chart":
        return json.loads(element.proto.spec)
    if getattr(element, "type", None) == "bidi_component" and element.proto.component_name == "explorer_plotly":
        return json.loads(json.loads(element.proto.json)["figure"])
    return None


def figures(at: AppTest) -> list[dict]:
    """Every plotly figure on the page, top to bottom."""
    found = (figure_of(e) for e in [*at.get("plotly_chart"), *at.get("bidi_component")])
    return [f for f in found if f is not None]
