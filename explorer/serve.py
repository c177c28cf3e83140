"""`python -m explorer.serve [streamlit options]`: `streamlit run app.py`, with the pages' modules
imported and the store opened before the first visitor arrives.

Streamlit imports a page's modules (plotly, scipy, the explorer's queries and charts) inside the
first run of that page after the server starts, so the first visitor after a restart waited
~1.5 s longer than everyone else (BENCHMARKS.md, "cold"). This imports every module the page files
import, then runs Streamlit's own command line in the same process, where the page runs find them
already loaded. It also opens the store (the same `st.cache_resource` entry the pages use) and
computes the default Explore view and the area profile's tables, ~0.4 s the first visitor no longer
waits for, and pays two first-use costs of Streamlit's own (`_first_use`, ~0.5 s). Settings still
come from .streamlit/config.toml; options are passed through.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import socket
import subprocess
import sys
import time
import urllib.request
from typing import IO

from explorer import paths


def page_imports() -> list[str]:
    """Every module the page files import, as dotted names (`from explorer import ui` → explorer.ui)."""
    names: list[str] = []
    for page in sorted((paths.ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"), filename=str(page))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
                names += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(names))


def preload() -> list[str]:
    """Import what the pages import; returns the modules loaded (names that are attributes, not
    modules, such as `from explorer.queries.explore import explore`, are skipped)."""
    loaded = []
    for name in page_imports():
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        loaded.append(name)
    return loaded


def warm() -> list[str]:
    """Open the store and fill the caches the first page views need; returns what was done. Never
    stops the server: with no store yet, the pages say how to build it."""
    done = []
    try:
        from explorer import ui, ui_plotly
        from explorer.queries import bench_explore, profile

        store = ui.get_store()
        done.append("store")
        bench_explore.interaction(store, {})  # Explore's default view, figures included
        done.append("explore")
        profile.tables(store)
        done.append("profile")
        ui_plotly.plotly_url()
        done.append("plotly.js")
        _first_use()
        done.append("first use")
    except Exception as error:  # noqa: BLE001 - a warm-up failure must not stop the app
        print(f"explorer.serve: warm-up stopped after {done or 'nothing'}: {error!r}", file=sys.stderr)
    return done


def _first_use() -> None:
    """Two costs Streamlit pays inside the first page run of a process, found with py-spy
    (BENCHMARKS.md, session 6): serialising a chart component's data or a dataframe imports pandas
    and pyarrow (~0.35 s), and the first element it sends calls inspect.stack(), whose first call
    maps every loaded module to its file (~0.15 s; later calls only add modules loaded since)."""
    import inspect

    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    inspect.stack()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(log: IO[str], port: int | None = None, timeout_s: float = 120) -> tuple[subprocess.Popen, str]:
    """The app as `make run` serves it, on 127.0.0.1 (a free port unless given), output to `log`;
    returns (process, base URL) once it answers its health check. RuntimeError if it exits first or
    is not healthy within timeout_s (the process is stopped). Used by the e2e tests, the page
    benchmark and the load test."""
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "explorer.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=paths.ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return server, base
        if server.poll() is not None:
            raise RuntimeError(f"the app exited early; see {log.name}")
        time.sleep(0.25)
    stop(server)
    raise RuntimeError(f"the app did not start within {timeout_s:.0f} s; see {log.name}")


def stop(server: subprocess.Popen, timeout_s: float = 10) -> None:
    server.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=timeout_s)


def main(argv: list[str] | None = None) -> int:
    preload()
    warm()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(paths.ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    raise SystemExit(main())
