"""Server settings for `make run` and what the code may never do (see SECURITY.md).

- .streamlit/config.toml (read with tomllib): bound to localhost, XSRF protection and CORS
  protection on, usage statistics off, error details hidden from users, uploads minimal, no
  run-on-save; static serving only serves boundary copies, the favicon and plotly.js.
- `make run` does not override the address or those settings on the command line.
- No widget takes a file: no st.file_uploader, st.camera_input, st.audio_input or st.chat_input
  with files anywhere in app.py, pages/ or explorer/ (AST scan), no raw HTML (unsafe_allow_html,
  st.html, components.html).
- No file path comes from user input: a static scan finds no open()/Path()/read_*()/scan_*() call
  fed by st.query_params or session state, and every page run with path-like link values (an
  audit hook records every file Python opens) opens nothing those values name.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from explorer import paths

CONFIG = tomllib.loads((paths.ROOT / ".streamlit" / "config.toml").read_text())
SOURCES = [paths.ROOT / "app.py", *sorted((paths.ROOT / "pages").glob("*.py")),
           *sorted((paths.ROOT / "explorer").rglob("*.py"))]
PAGES = sorted(p.stem for p in (paths.ROOT / "pages").glob("*.py"))


def test_bound_to_localhost_only():
    assert CONFIG["server"]["address"] in ("localhost", "127.0.0.1")
    assert CONFIG["server"]["headless"] is True


def test_xsrf_and_cors_protection_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["server"].get("enableCORS", True) is True


def test_usage_statistics_off():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_users_never_see_tracebacks_or_developer_tools():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["client"]["toolbarMode"] == "viewer"
    assert CONFIG["server"].get("runOnSave", False) is False


def test_no_source_file_watching_in_the_served_app():
    # Watching re-walks every imported module after each run (server time on every page view).
    assert CONFIG["server"]["fileWatcherType"] == "none"


def test_no_forced_full_garbage_collection_after_each_run():
    assert CONFIG["runner"]["postScriptGC"] is False


def test_uploads_are_as_small_as_streamlit_allows():
    # Streamlit has no switch to turn uploads off; no page has an upload widget (below) and the
    # size limit (in MB) is the minimum, so nothing large can be posted either.
    assert CONFIG["server"]["maxUploadSize"] == 1
    assert CONFIG["server"].get("maxMessageSize", 200) <= 200


def test_static_folder_serves_only_boundaries_the_favicon_and_plotly():
    static = paths.ROOT / "static"
    allowed = {".geojson", ".png", ".md", ".part"}
    served = [p for p in static.rglob("*") if p.is_file()]
    scripts = [p for p in served if p.suffix == ".js"]
    # The one script is plotly.js (the app's bundle, or the plotly package's), copied by explorer.ui_plotly.
    name = re.compile(r"plotly-(explorer-)?[\d.]+-[0-9a-f]{10}\.min\.js")
    assert all(p.parent == static / "vendor" and name.fullmatch(p.name) for p in scripts), scripts
    assert all(p.suffix in allowed for p in served if p not in scripts), \
        [p for p in served if p.suffix not in allowed and p not in scripts]


def test_make_run_does_not_override_the_settings():
    makefile = (paths.ROOT / "Makefile").read_text()
    run = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "-m explorer.serve" in run  # streamlit run app.py, pages' modules imported first
    for setting in ("server.address", "0.0.0.0", "enableXsrfProtection", "gatherUsageStats",
                    "enableCORS", "showErrorDetails"):
        assert setting not in run, f"`make run` overrides {setting}"


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(paths.ROOT)))
def test_no_upload_widget_and_no_raw_html(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for name, node in _calls(tree):
        assert name not in ("file_uploader", "camera_input", "audio_input"), f"{path.name}:{node.lineno}"
        if name == "chat_input":
            assert not any(k.arg == "accept_file" for k in node.keywords), f"{path.name}:{node.lineno}"
        assert not any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and
                                                             k.value.value is False)
                       for k in node.keywords), f"{path.name}:{node.lineno}: unsafe_allow_html"
        if name == "html" and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            assert not (isinstance(owner, ast.Name) and owner.id in ("st", "components")), \
                f"{path.name}:{node.lineno}: raw HTML"


FILE_CALLS = {"open", "Path", "read_text", "read_bytes", "write_text", "write_bytes", "read_parquet", "scan_parquet",
              "read_csv", "scan_csv", "read_excel", "read_json", "from_path", "copyfile", "rmtree", "unlink"}
USER_INPUT = re.compile(r"query_params|session_state|file_uploader")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(paths.ROOT)))
def test_no_file_path_from_user_input(path):
    """A file call's arguments never mention the link or widget state directly."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for name, node in _calls(tree):
        if name in FILE_CALLS:
            args = " ".join(ast.unparse(a) for a in [*node.args, *[k.value for k in node.keywords]])
            assert not USER_INPUT.search(args), f"{path.name}:{node.lineno}: {name}({args})"


INJECTED = "zz-injected-path"
PATH_LIKE = [f"../../../../tmp/{INJECTED}", f"/etc/{INJECTED}", f"data/store/{INJECTED}.parquet",
             f"..%2F..%2F{INJECTED}", f"file:///{INJECTED}", f"{INJECTED}.geojson"]
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event in ("open", "os.listdir", "os.scandir", "shutil.copyfile", "os.remove"):
        _OPENED.append(str(args[0]) if args else "")


sys.addaudithook(_audit)  # hooks cannot be removed; it records only while a test sets _OPENED


@pytest.mark.parametrize("page", PAGES)
def test_no_page_opens_a_file_named_in_the_link(store, page):
    global _OPENED
    keys = ["i", "a", "at", "p", "q", "s", "per", "pr", "f", "t", "v", "b", "c", "cols", "from", "to", "ci", "fi"]
    for value in PATH_LIKE:
        at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=120)
        for key in keys:
            at.query_params[key] = value
        _OPENED = []
        try:
            at.run()
        finally:
            opened, _OPENED = _OPENED, None
        assert not at.exception, [e.message for e in at.exception]
        assert not [p for p in opened if INJECTED in p], f"{page} opened a path from the link: {opened}"
