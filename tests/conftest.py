"""Shared fixtures: the real built store (built once if missing or stale)."""

from __future__ import annotations

import os

import pytest

# Figures are built without plotly's (slow) property validation in the app; validate them in tests.
os.environ.setdefault("EXPLORER_VALIDATE_FIGURES", "1")

from explorer import paths


@pytest.fixture(scope="session")
def store():
    from explorer.build import build, is_stale
    from explorer.store import Store

    if is_stale():
        build(say=lambda _m: None)
    return Store.open(paths.STORE_DIR)
