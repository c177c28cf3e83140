"""AppTest for the download page: deep links restore the filter, each selector changes the
preview and the URL, bad parameters give notices and no exception, the size guard refuses with
the command line, and the command the page shows writes the page's file."""

from __future__ import annotations

import datetime as dt
import shlex

import pytest
from streamlit.testing.v1 import AppTest

from explorer import catalogue, cli, export
from explorer.queries import download_url as du
from tests.app.helpers import run_page

TIMEOUT = 120
DM = "diabetes-recorded-prevalence"
BRADFORD = "E38000232"


@pytest.fixture(scope="module", autouse=True)
def _built(store):
    return store


def run(**params: str) -> AppTest:
    return run_page("download", params, timeout=TIMEOUT)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def url(at: AppTest) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def rows(at: AppTest) -> int:
    text = next(m.value for m in at.markdown if " rows** match" in m.value)
    return int(text.split("**")[1].split()[0].replace(",", ""))


def preview(at: AppTest):
    return at.dataframe[0].value


def test_first_visit_explains_what_to_do():
    at = run()
    assert url(at) == {}
    assert "Choose at least one indicator" in at.info[0].value
    assert not at.dataframe and not at.get("download_button")


def test_deep_link_restores_the_filter_and_preview():
    at = run(i=DM, at="ccg", a=f"{BRADFORD}~E38000004", **{"from": "2018/19", "to": "2019/20"},
             cols="value~ci998", f="xlsx")
    assert at.multiselect(key="dl_i").value == [DM]
    assert at.selectbox(key="dl_at").value == "ccg"
    assert at.multiselect(key="dl_a").value == [BRADFORD, "E38000004"]
    assert (at.selectbox(key="dl_from").value, at.selectbox(key="dl_to").value) == ("2018/19", "2019/20")
    assert at.button_group(key="dl_cols").value == ["value", "ci998"]
    assert at.radio(key="dl_f").value == "xlsx"
    assert rows(at) == 4
    frame = preview(at)
    assert "Lower 99.8% limit" in frame.columns and "Lower 95% limit" not in frame.columns
    bradford = frame[(frame["Area code"] == BRADFORD) & (frame["Period"] == "2019/20")]
    assert bradford["Value"].iloc[0] == pytest.approx(8.909708, abs=1e-6)
    assert at.get("download_button")[0].label == "Download Excel"
    assert url(at)["a"] == f"{BRADFORD}~E38000004" and url(at)["f"] == "xlsx"
    link, command = (c.value for c in at.code)
    assert "/download?i=diabetes-recorded-prevalence&at=ccg&a=E38000232~E38000004" in link.replace("%7E", "~")
    assert command.endswith("--columns value,ci998 --format xlsx -o data.xlsx")


def test_indicator_area_type_and_areas_change_rows_and_url():
    at = run(i=DM)
    everything = rows(at)
    at.selectbox(key="dl_at").set_value("ccg")
    rerun(at)
    assert url(at)["at"] == "ccg" and rows(at) < everything
    ccg = rows(at)
    at.multiselect(key="dl_a").set_value([BRADFORD])
    rerun(at)
    assert url(at)["a"] == BRADFORD and 0 < rows(at) < ccg
    assert set(preview(at)["Area code"]) == {BRADFORD}
    at.multiselect(key="dl_i").set_value([DM, "obesity-recorded-prevalence"])
    rerun(at)
    assert url(at)["i"] == f"{DM}~obesity-recorded-prevalence"
    assert set(preview(at)["Indicator ID"]) == {DM, "obesity-recorded-prevalence"}
    at.selectbox(key="dl_at").set_value("")  # all area types: the areas no longer apply
    rerun(at)
    assert "at" not in url(at) and "a" not in url(at) and at.multiselect(key="dl_a").value == []


def test_periods_change_rows_and_url():
    at = run(i=DM, at="ccg")
    total = rows(at)
    at.selectbox(key="dl_from").set_value("2019/20")
    rerun(at)
    assert url(at)["from"] == "2019/20" and url(at)["to"] == "2019/20" and rows(at) == 144 < total
    assert set(preview(at)["Period"]) == {"2019/20"}
    at.selectbox(key="dl_from").set_value("2013/14")
    at.selectbox(key="dl_to").set_value("2019/20")
    rerun(at)
    assert "from" not in url(at) and rows(at) == total  # the whole range stays open-ended


def test_breakdown_filters_change_rows_and_url():
    at = run(i=DM, at="ccg")
    total = rows(at)
    at.multiselect(key="dl_st").set_value(["published"])
    rerun(at)
    assert url(at)["st"] == "published" and rows(at) < total
    assert set(preview(at)["Status"]) == {"published"}
    at.multiselect(key="dl_ag").set_value(["17+"])
    rerun(at)
    assert url(at)["ag"] == "17+" and set(preview(at)["Age"]) == {"17+"}
    at.multiselect(key="dl_sx").set_value(["Persons"])
    rerun(at)
    assert url(at)["sx"] == "Persons"


def test_finding_indicators_by_words_topic_and_producer():
    at = run()
    label = at.multiselect(key="dl_i").label
    at.text_input(key="dl_q").input("smoking")
    rerun(at)
    assert url(at)["q"] == "smoking" and at.multiselect(key="dl_i").label != label
    assert at.multiselect(key="dl_i").options[0] == "Adults who currently smoke cigarettes"  # best match first
    at.text_input(key="dl_q").input("")
    at.selectbox(key="dl_tp").set_value("prescribing")
    rerun(at)
    assert url(at)["tp"] == "prescribing" and at.multiselect(key="dl_i").label == "Indicators (4 match)"
    at.selectbox(key="dl_tp").set_value("")
    at.multiselect(key="dl_pr").set_value(["House of Commons Library"])
    rerun(at)
    assert at.multiselect(key="dl_i").label == "Indicators (21 match)"  # its modelled QOF prevalences
    at.multiselect(key="dl_i").set_value([DM])
    rerun(at)
    assert url(at)["pr"] == "House of Commons Library"
    assert set(preview(at)["Producer"]) == {"House of Commons Library"}


def test_columns_and_format_change_preview_url_and_button():
    at = run(i=DM, at="icb")
    assert "England value" in preview(at).columns
    at.button_group(key="dl_cols").set_value(["value", "original"])
    rerun(at)
    assert url(at)["cols"] == "value~original"
    assert "Original area code" in preview(at).columns and "England value" not in preview(at).columns
    at.radio(key="dl_f").set_value("fingertips")
    rerun(at)
    assert url(at)["f"] == "fingertips"
    assert list(preview(at).columns) == export.fingertips.COLUMNS  # the preview shows that layout
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Download Fingertips-style CSV" and labels[1].startswith("Metadata")


@pytest.mark.parametrize("params", [
    {"i": "no-such-indicator"}, {"i": DM, "at": "<script>alert(1)</script>"}, {"i": DM, "from": "1066"},
    {"i": DM, "cols": "value~bogus", "f": "exe"}, {"i": DM, "at": "ccg", "a": "E99999999", "ag": "lt999"},
])
def test_bad_parameters_give_notices_and_no_exception(params):
    at = run(**params)
    assert at.info and any("link" in i.value for i in at.info)
    assert "<script>" not in "".join(url(at).values())


def test_size_guard_refuses_with_the_command_line():
    big = ["anticoagulant-cost", "anticoagulant-items", "anticoagulant-items-per-1000-patients",
           "ae-attendances", "ae-four-hour-breaches", "ae-within-four-hours", "ae-emergency-admissions"]
    at = run(i="~".join(big))
    assert rows(at) > 200_000
    assert at.warning and "the page builds downloads of up to 200,000 rows" in at.warning[0].value
    assert not at.get("download_button")
    assert at.code[0].value.startswith("python -m explorer export --indicator anticoagulant-cost")


def test_the_command_shown_writes_the_page_file(store, tmp_path):
    at = run(i=DM, at="ccg", **{"from": "2019/20", "to": "2019/20"}, f="json")
    command = shlex.split(at.code[1].value)
    out = tmp_path / "from-cli.json"
    command[command.index("-o") + 1] = str(out)
    assert cli.main([*command[3:], "--retrieved", "2025-01-31T12:00:05Z"]) == 0
    page = du.from_query(store, url(at), export.FORMATS, [t["id"] for t in catalogue.topics()])
    retrieved = dt.datetime(2025, 1, 31, 12, 0, 5, tzinfo=dt.UTC)
    assert out.read_bytes() == export.export(store, page.filter, page.fmt, retrieved)  # what the button builds
