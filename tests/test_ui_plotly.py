"""explorer.ui_plotly: charts as a component keyed by slot (so the browser redraws in place), plotly.js
served same-origin from the installed package, and st.plotly_chart where that cannot be served."""

from __future__ import annotations

import hashlib
import json
import re

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version
from streamlit.testing.v1 import AppTest

from explorer import maps, ui_plotly


@pytest.fixture
def vendor(tmp_path, monkeypatch):
    monkeypatch.setattr(ui_plotly, "STATIC_VENDOR", tmp_path / "vendor")
    monkeypatch.setattr(ui_plotly.st, "get_option", lambda name: name == "server.enableStaticServing")
    ui_plotly.plotly_url.cache_clear()
    ui_plotly.plotly_source.cache_clear()
    yield tmp_path / "vendor"
    ui_plotly.plotly_url.cache_clear()
    ui_plotly.plotly_source.cache_clear()


def test_plotly_js_is_copied_once_under_its_version_and_content(vendor):
    vendor.mkdir()
    (vendor / "plotly-explorer-4.0.0-0123456789.min.js").write_text("an older copy")
    url = ui_plotly.plotly_url()
    bundle = ui_plotly.BUNDLE_DIR / f"plotly-explorer-{get_plotlyjs_version()}.min.js"
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()[:10]
    name = f"plotly-explorer-{get_plotlyjs_version()}-{digest}.min.js"
    assert url == f"app/static/vendor/{name}"
    assert (vendor / name).read_bytes() == bundle.read_bytes()
    assert [p.name for p in vendor.iterdir()] == [name]  # no partial copy left, the older one gone


def test_the_bundle_is_built_for_the_installed_plotly_and_its_trace_types():
    """The committed bundle matches the plotly.js version the plotly package writes figures for
    (after an upgrade: explorer/plotly_bundle/README.md), and registers the trace types
    BUNDLED_TRACES promises, no more and no fewer."""
    version = get_plotlyjs_version()
    bundle = ui_plotly.BUNDLE_DIR / f"plotly-explorer-{version}.min.js"
    assert ui_plotly.plotly_source() == bundle, f"rebuild explorer/plotly_bundle for plotly.js {version}"
    assert bundle.read_text(encoding="utf-8").startswith(f"/** plotly.js v{version}, custom bundle")
    package = json.loads((ui_plotly.BUNDLE_DIR / "package.json").read_text())
    assert package["dependencies"]["plotly.js"] == version
    index = (ui_plotly.BUNDLE_DIR / "index.js").read_text()
    registered = set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", index)) - {"core"}
    assert registered | {"scatter"} == ui_plotly.BUNDLED_TRACES


def test_without_the_bundle_the_full_plotly_js_is_served(vendor, monkeypatch, tmp_path):
    monkeypatch.setattr(ui_plotly, "BUNDLE_DIR", tmp_path / "none")
    assert re.fullmatch(rf"app/static/vendor/plotly-{get_plotlyjs_version()}-[0-9a-f]{{10}}\.min\.js",
                        ui_plotly.plotly_url())
    assert ui_plotly.drawable(go.Figure(go.Pie(values=[1, 2])))


def test_no_url_without_static_serving(vendor, monkeypatch):
    monkeypatch.setattr(ui_plotly.st, "get_option", lambda name: False)
    assert ui_plotly.plotly_url() is None
    assert not vendor.exists()


def test_no_url_when_the_copy_cannot_be_written(vendor):
    vendor.parent.joinpath("vendor").write_text("a file where the folder should be")
    assert ui_plotly.plotly_url() is None


def test_title_is_plain_text_for_screen_readers():
    fig = go.Figure(layout={"title": {"text": "<b>Diabetes</b><br>2019/20: <span>CCGs</span>"}})
    assert ui_plotly._title(fig) == "Diabetes 2019/20: CCGs"
    assert ui_plotly._title(go.Figure()) == "Chart"


def _page(serving: bool, pie: bool = False):
    def script(serving, pie):
        import plotly.graph_objects as go

        from explorer import ui_plotly

        trace = go.Pie(labels=["a", "b"], values=[1, 2]) if pie else go.Bar(x=["a", "b"], y=[1, 2])
        fig = go.Figure(trace, layout={"title": {"text": "Two bars"}})
        served = ui_plotly.plotly_url
        ui_plotly.plotly_url = served if serving else (lambda: None)
        try:
            ui_plotly.plot(fig, key="slot", config={"displaylogo": False})
        finally:
            ui_plotly.plotly_url = served

    at = AppTest.from_function(script, kwargs={"serving": serving, "pie": pie})
    at.run()
    assert not at.exception, at.exception
    return at


def test_plot_sends_the_figure_to_the_component_keyed_by_slot():
    at = _page(serving=True)
    (element,) = at.get("bidi_component")
    assert element.proto.component_name == "explorer_plotly" and element.proto.id.endswith("-slot")
    data = json.loads(element.proto.json)
    figure = json.loads(data["figure"])
    assert figure["data"][0]["y"] == [1, 2] and data["label"] == "Two bars"
    # Every chart names the inline empty world topology, so a map never asks cdn.plot.ly for one.
    assert data["config"] == {"responsive": True, "displaylogo": False, "topojsonURL": maps.TOPOJSON_URL}
    assert data["src"].endswith(".min.js") and data["clicks"] is False
    assert not at.get("plotly_chart")


def test_plot_falls_back_to_st_plotly_chart():
    at = _page(serving=False)
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["data"][0]["y"] == [1, 2]
    assert json.loads(chart.proto.config)["topojsonURL"] == maps.TOPOJSON_URL
    assert not at.get("bidi_component")


def test_a_trace_type_the_bundle_lacks_is_drawn_by_st_plotly_chart():
    at = _page(serving=True, pie=True)
    (chart,) = at.get("plotly_chart")
    assert json.loads(chart.proto.spec)["data"][0]["type"] == "pie"
    assert not at.get("bidi_component")


def test_figure_json_is_serialised_once_per_figure_and_forgotten_with_it():
    import gc

    first = go.Figure(go.Bar(x=["a"], y=[1]))
    text = ui_plotly.figure_json(first)
    assert json.loads(text)["data"][0]["y"] == [1]
    assert ui_plotly.figure_json(first) is text  # the same object: the same string, not serialised again
    other = go.Figure(go.Bar(x=["a"], y=[2]))
    assert json.loads(ui_plotly.figure_json(other))["data"][0]["y"] == [2]
    key = id(first)
    del first
    gc.collect()
    assert key not in ui_plotly._JSON  # no figure is kept alive or remembered after it has gone
