"""`python -m explorer.serve`: imports what the pages import, then hands over to `streamlit run`."""

from __future__ import annotations

import subprocess
import sys

from explorer import paths, serve


def test_page_imports_lists_every_module_the_pages_use():
    names = serve.page_imports()
    assert {"streamlit", "explorer.ui", "explorer.ui_explore", "explorer.queries.download"} <= set(names)
    assert len(names) == len(set(names))


def test_preload_leaves_the_pages_modules_loaded():
    loaded = serve.preload()
    assert "explorer.ui_explore" in loaded
    assert all(name in sys.modules for name in loaded)
    assert "explorer.queries.page_state.COHERENCE_MEASURE" not in loaded  # a constant, not a module


def test_main_runs_streamlit_on_app_py_with_the_options_given(monkeypatch):
    from streamlit.web import cli

    seen = {}
    monkeypatch.setattr(cli, "main", lambda: seen.setdefault("argv", list(sys.argv)) and 0)
    monkeypatch.setattr(serve, "warm", lambda: seen.setdefault("warmed", True))
    monkeypatch.setattr(sys, "argv", ["serve"])
    serve.main(["--server.port", "8599"])
    assert seen["argv"] == ["streamlit", "run", str(paths.ROOT / "app.py"), "--server.port", "8599"]
    assert seen["warmed"]


def test_warm_fills_the_caches_the_first_page_views_use(store):
    from explorer.queries import memo

    memo.forget()
    assert serve.warm() == ["store", "explore", "profile", "plotly.js", "first use"]
    kinds = memo.cached_kinds()
    assert kinds.get("geojson") and kinds.get("names"), kinds  # the default map's layer and names


def test_warm_never_stops_the_server(monkeypatch, capsys):
    from explorer import ui
    from explorer.store import StoreMissing

    def missing():
        raise StoreMissing("no store")

    monkeypatch.setattr(ui, "get_store", missing)
    assert serve.warm() == []
    assert "warm-up stopped" in capsys.readouterr().err


def test_first_use_imports_what_streamlit_would_import_in_the_first_page_run():
    """In a fresh interpreter (this one has long imported them): pandas and pyarrow are loaded."""
    code = ("import sys; from explorer import serve; assert 'pyarrow' not in sys.modules; "
            "serve._first_use(); assert {'pandas', 'pyarrow'} <= set(sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
