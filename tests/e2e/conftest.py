"""End-to-end fixtures: the real app served on a free localhost port, driven by Playwright in
Debian's Chromium (/usr/bin/chromium; never a downloaded browser). Screenshots go to
test-artifacts/ so a CI run leaves pictures of what users saw."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from explorer import paths, serve

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = paths.ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def app_url(store):  # `store` (tests/conftest.py) makes sure the store is built first
    port = serve.free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / f"streamlit-{port}.log").open("w") as log:
        try:
            server, base = serve.start(log, port)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        try:
            yield base
        finally:
            serve.stop(server)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    with contextlib.suppress(Exception):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def wait_for_app(pg, timeout: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_timeout(500)
    with contextlib.suppress(Exception):
        pg.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=timeout)
    pg.wait_for_timeout(300)


def assert_no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, "a traceback reached the page"
