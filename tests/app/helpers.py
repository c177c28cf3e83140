"""Shared by the AppTest page tests: run one page file with a query string."""

from __future__ import annotations

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
