"""Escaping: area and indicator names holding HTML, script or markdown render as text everywhere.

A synthetic store (a few real indicators cut from the real store, written in the store layout) has
areas called `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<svg onload=…>` and a
markdown link, and indicators whose title, short title and definition hold tags. Every page that
shows names is run with AppTest against it, and everything it sends to the browser is read back:

- markdown, captions, titles, notices, st.table cells and page links: no raw tag and no live
  markdown link (Streamlit renders these bodies as markdown);
- plotly figures (hover text, labels, titles, annotations): no raw tag; plotly renders its own
  HTML subset, so names must arrive escaped (explorer.charts.common.esc);
- st.dataframe cells: the name exactly as held (a data grid shows text as text; escaping there
  would put '&lt;' on screen).

Maps are plotly (no pydeck), so their tooltips are plotly hover text and are checked the same way.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from explorer import paths
from tests.fuzz import stores

EVIL_AREAS = {
    "E38000006": "<script>alert(1)</script>",  # a CCG (and the sub-ICB location with the same code)
    "E54000008": "<img src=x onerror=alert(1)>",  # an ICB
    "E38000232": "Bradford & <svg onload=alert(1)>",
    "E10000002": "[click me](https://evil.example/login) <b>Bucks</b>",  # an upper-tier LA
    # Spreadsheet formulas, for the CSV downloads (a cell starting = + - @ runs in Excel).
    "E54000057": '=HYPERLINK("https://evil.example","Greater Manchester")',
    "E06000001": "+44 Hartlepool",
    "E38000007": "@SUM(1+1) Barnsley",
}
EVIL_INDICATORS = {
    "diabetes-recorded-prevalence": {"title": "<script>alert('title')</script> Diabetes",
                                     "short_title": "<img src=x onerror=alert('short')> Diabetes",
                                     "definition": "Registered <b onmouseover=alert(1)>patients</b> [x](https://evil.example)"},
    "ae-attendances": {"title": "<img src=x onerror=alert('ae')> A&E attendances",
                       "short_title": "<script>alert('ae')</script> A&E"},
    "healthy-life-expectancy": {"title": "<svg onload=alert('hle')> Healthy life expectancy"},
    "hypertension-recorded-prevalence": {"short_title": "-1+1 High blood pressure"},
}
INDICATORS = ["diabetes-recorded-prevalence", "ae-attendances", "campylobacter-rate", "healthy-life-expectancy"]
RAW_TAG = re.compile(r"<\s*(script|img|svg|b\s+onmouseover)", re.IGNORECASE)
LIVE_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(\s*https://evil")

EXPLORE = {"i": "diabetes-recorded-prevalence", "at": "ccg", "p": "2019/20", "a": "E38000006~E38000232"}
# Explore draws one view (tab) at a time: each of them, with the hostile names chosen.
EXPLORE_VIEWS = [{**EXPLORE, "tab": tab} for tab in ("map", "compare", "trend", "table")]
PAGES = [
    *(("explore", query) for query in EXPLORE_VIEWS),
    ("explore", {"i": "diabetes-recorded-prevalence", "at": "icb", "a": "E54000008", "v": "funnel", "tab": "compare"}),
    ("explore", {"i": "campylobacter-rate", "at": "utla", "a": "E10000002", "c": "quintile"}),
    ("area", {"a": "E38000006", "at": "ccg"}),
    ("area", {"a": "E54000008", "at": "icb", "v": "compare"}),
    ("area", {"a": "E10000002", "at": "utla", "v": "peers"}),
    ("trends", {"i": "ae-attendances", "a": "E54000008"}),
    ("trends", {"i": "ae-attendances", "a": "E54000057"}),
    ("indicator", {"i": "diabetes-recorded-prevalence"}),
    ("indicators", {"q": "diabetes"}),
    ("indicators", {}),
    ("home", {"q": "diabetes"}),
    ("download", {"i": "diabetes-recorded-prevalence", "at": "ccg", "a": "E38000006~E38000232"}),
    ("coherence", {"i": "healthy-life-expectancy"}),
    ("releases", {}),
    ("releases", {"i": "hypertension-recorded-prevalence"}),
]


@pytest.fixture(scope="module")
def hostile_store(store, tmp_path_factory):
    target = tmp_path_factory.mktemp("hostile_store")
    stores.write_store(store, target, sorted({*INDICATORS, *stores.peer_inputs(store)}), area_names=EVIL_AREAS,
                       indicator_edits=EVIL_INDICATORS)
    with stores.serving(target):
        yield target


@pytest.mark.parametrize(("page", "query"), PAGES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(PAGES)])
def test_hostile_names_render_as_text(hostile_store, page, query):
    at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = stores.rendered(at)
    for body in shown["markdown"]:
        assert not RAW_TAG.search(body), f"raw tag in markdown: {body[:300]!r}"
        assert not LIVE_LINK.search(body), f"live markdown link: {body[:300]!r}"
    for figure in shown["figures"]:
        for text in stores.strings(figure):
            assert not RAW_TAG.search(text), f"raw tag in a figure: {text[:300]!r}"
    for grid in shown["grids"]:
        cells = [str(v) for v in grid.astype(str).to_numpy().ravel()] + [str(c) for c in grid.columns]
        escaped = [c for c in cells if "&lt;" in c or "&gt;" in c]
        assert not escaped, f"a table shows escaped text: {escaped[:3]}"


def test_names_reach_the_page_escaped(hostile_store):
    """A control for the test above: the hostile names are really on the Explore page (escaped in
    the summary and the figures, as text in the table), so 'no raw tag' is not vacuous."""
    shown = {"figures": [], "markdown": [], "grids": []}
    for query in EXPLORE_VIEWS:
        at = AppTest.from_file(str(paths.ROOT / "pages" / "explore.py"), default_timeout=180)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        for kind, found in stores.rendered(at).items():
            shown[kind] += found
    figure_text = "\n".join(s for f in shown["figures"] for s in stores.strings(f))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figure_text
    assert any("alert(1)" in body for body in shown["markdown"])
    table = pd.concat(shown["grids"]) if shown["grids"] else pd.DataFrame()
    assert (table.astype(str) == EVIL_AREAS["E38000006"]).to_numpy().any()


FORMULA = re.compile(r"^[=+\-@\t\r]")
# Download buttons built on every run. The Download page and the Area profile build their files
# only when clicked (deferred data): export.export is covered by tests/test_export_safety.py and
# profile_export.to_csv by test_profile_table_download_is_formula_safe below.
DOWNLOADS = [(p, q) for p, q in PAGES if p in ("trends", "coherence", "releases")]


@pytest.mark.parametrize(("page", "query"), DOWNLOADS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(DOWNLOADS)])
def test_every_csv_download_is_formula_safe(hostile_store, monkeypatch, page, query):
    """The CSV behind every download button of the page: no text cell a spreadsheet would run
    (names starting = + - @ are prefixed with a quote); numbers, negative ones included, stay numbers."""
    files: list[tuple[str | None, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        files.append((filename, path_or_data if isinstance(path_or_data, bytes) else b""))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    csvs = [(name, data) for name, data in files if (name or "").endswith(".csv")]
    assert csvs, f"{page}: no CSV download built"
    for name, data in csvs:
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            for cell in row:
                assert not (FORMULA.match(cell) and not _number(cell)), f"{name}: formula cell {cell!r}"
    if page == "releases" and query:
        assert any("'-1+1 High blood pressure" in data.decode() for _, data in csvs)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_profile_table_download_is_formula_safe():
    import polars as pl

    from explorer.queries import profile_export

    frame = pl.DataFrame({"Area": ['=HYPERLINK("https://evil.example")', "+1", "@x", "Plain"],
                          "Value": [-1.5, 2.0, 3.0, 4.0]})
    rows = list(csv.reader(io.StringIO(profile_export.to_csv(frame).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"https://evil.example\")", "'+1", "'@x", "Plain"]
    assert rows[1][1] == "-1.5"
