"""Streamlit glue for the Trends page: the selection read from the URL, its widgets, and one block
per view (SPC chart, forecast, seasonal pattern) plus the download.

Widgets are bound to the URL, which is the single source of truth: each run sets a widget's session
value from the parsed URL state, and a change writes the new value to st.query_params (dropping the
parameters that depend on it, so a new indicator does not inherit the old one's area) before
Streamlit reruns the script.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl
import streamlit as st

from explorer import forecast, trends_figures, ui, ui_plotly
from explorer.charts import add_forecast, spc_figure
from explorer.charts.common import IndicatorText
from explorer.queries import trends
from explorer.queries import trends_views as views
from explorer.state import Param, UrlState
from explorer.store import Store

WIDGET_PREFIX = "trends_"
DEFAULT_INDICATOR = "ae-within-four-hours"
VIEWS = {"spc": "SPC chart", "forecast": "Forecast", "seasonal": "Seasonal pattern"}
HORIZONS = {"month": [3, 6, 12, 18, 24], "week": [4, 8, 12, 26, 52]}
P_INDICATOR = Param("i", "indicator", "A monthly or weekly indicator", DEFAULT_INDICATOR)
P_AREA = Param("a", "area", "The area (code) whose series is shown", trends.ENGLAND)
P_CATEGORY = Param("c", "breakdown", "A breakdown such as A&E department type")
P_VIEW = Param("v", "view", "SPC chart, forecast or seasonal pattern", "spc")
P_CHANGE = Param("cp", "change point", "The period from which SPC limits are recalculated", "")
P_HORIZON = Param("h", "forecast horizon", "How many periods ahead to forecast", 12)
DEPENDENTS = {"i": ("a", "c", "cp", "h"), "a": ("c", "cp"), "c": ("cp",)}
NO_CHANGE = ""
VARIATION_BADGE = {  # Making Data Count variation icons: words + icon + colour, never colour alone
    "common cause": (":material/horizontal_rule:", "gray", "Common cause: no sign of real change"),
    "special cause improvement": (":material/trending_up:", "blue", "Special cause: improvement"),
    "special cause concern": (":material/warning:", "orange", "Special cause: concern"),
    "special cause neutral": (":material/swap_vert:", "violet", "Special cause: neither better nor worse"),
}
ASSURANCE_BADGE = {
    "consistently passing": (":material/check_circle:", "blue", "Target: consistently passing"),
    "consistently failing": (":material/cancel:", "orange", "Target: consistently failing"),
    "hit and miss": (":material/help:", "gray", "Target: hit and miss"),
}


@dataclass
class Selection:
    state: UrlState
    indicator_id: str
    indicator: dict
    period_type: str
    titles: dict[str, str]
    areas: pl.DataFrame
    area: str
    area_label: str
    categories: list
    category: str | None
    view: str
    frame: pl.DataFrame
    breaks: list[dict] = field(default_factory=list)
    change_label: str = NO_CHANGE
    change_point: dt.date | None = None
    horizon: int = 12
    store_stamp: str = ""  # the build the cached views were drawn from

    @property
    def unit_words(self) -> tuple[str, str]:
        return forecast.UNIT_WORDS[self.period_type]


def selection(store: Store) -> Selection:
    """Every choice from the URL, checked against what exists for the choices before it; the
    canonical query is written back."""
    sel = resolve(store, st.query_params.to_dict())
    st.query_params.from_dict(sel.state.query())
    return sel


def resolve(store: Store, raw: Mapping[str, object]) -> Selection:
    """The Selection a query mapping asks for (pure: no Streamlit calls, so links can be fuzzed)."""
    state = UrlState(raw)
    catalogue = trends.trend_indicators(store)
    ids = catalogue["indicator_id"].to_list()
    titles = {i: f"{t} ({'weekly' if p == 'week' else 'monthly'})"
              for i, t, p in catalogue.select("indicator_id", "title", "period_type").iter_rows()}
    indicator_id = state.pick(P_INDICATOR, ids, default=DEFAULT_INDICATOR if DEFAULT_INDICATOR in ids else ids[0])
    indicator = store.indicator(indicator_id) or {}
    period_type = indicator.get("period_type") or "month"
    areas = trends.area_choices(store, indicator_id)
    codes = areas["area_code"].to_list()
    # Defaults depend on the indicator; a Param carrying them keeps them out of the canonical URL.
    area = state.pick(replace(P_AREA, default=trends.ENGLAND if trends.ENGLAND in codes else codes[0]), codes)
    labels = dict(zip(codes, areas["label"].to_list(), strict=True))
    cats = trends.categories(store, indicator_id, area)
    category = None
    if any(c is not None for c in cats):
        named = [c for c in cats if c is not None]
        category = state.pick(replace(P_CATEGORY, default=named[0]), named)
    view = state.pick(P_VIEW, list(VIEWS))
    frame = trends.series(store, indicator_id, area, category)
    sel = Selection(state, indicator_id, indicator, period_type, titles, areas, area, labels[area], cats,
                    category, view, frame)
    sel.change_label = state.pick(P_CHANGE, frame["period"].to_list()[1:], default=NO_CHANGE) or NO_CHANGE
    sel.change_point = views.change_point_start(frame, sel.change_label)
    sel.horizon = state.pick(P_HORIZON, HORIZONS[period_type], default=12)
    sel.breaks = trends.series_breaks(store, indicator_id, area, frame, period_type)
    sel.store_stamp = str(store.manifest.get("built_at") or store.path)
    return sel


def _bound(widget: Callable, label: str, key: str, options: Sequence, value, dependents=(), **kwargs):
    st.session_state[WIDGET_PREFIX + key] = value
    return widget(label, options, key=WIDGET_PREFIX + key, on_change=_write_back, args=(key, dependents),
                  **kwargs)


def _write_back(key: str, dependents: Sequence[str]) -> None:
    value = st.session_state[WIDGET_PREFIX + key]
    st.query_params[key] = "" if value is None else str(value)
    for other in dependents:
        if other in st.query_params:
            del st.query_params[other]


def selectors(sel: Selection) -> None:
    codes = sel.areas["area_code"].to_list()
    labels = dict(zip(codes, sel.areas["label"].to_list(), strict=True))
    left, middle, right = st.columns([5, 5, 3])
    _bound(left.selectbox, "Indicator", "i", list(sel.titles), sel.indicator_id, DEPENDENTS["i"],
           format_func=sel.titles.get, help="Every monthly or weekly indicator held.")
    _bound(middle.selectbox, "Area", "a", codes, sel.area, DEPENDENTS["a"], format_func=labels.get,
           help="Areas with this series. 'Our total' marks England, NHS region or ICB totals we added up "
                "from their areas, only for months when every one of those areas reported.")
    named = [c for c in sel.categories if c is not None]
    if len(named) > 1:
        _bound(right.selectbox, "Breakdown", "c", named, sel.category, DEPENDENTS["c"])
    left, middle, right = st.columns([5, 5, 3])
    _bound(left.radio, "View", "v", list(VIEWS), sel.view, format_func=VIEWS.get, horizontal=True,
           help="SPC chart: is there real change? Forecast: what next? Seasonal pattern: this year "
                "against earlier years.")
    if sel.view in ("spc", "forecast"):
        one, _ = sel.unit_words
        options = [NO_CHANGE, *sel.frame["period"].to_list()[1:]]
        _bound(middle.selectbox, "Recalculate limits from (change point)", "cp", options, sel.change_label,
               format_func=lambda p: "No change point" if p == NO_CHANGE else p,
               help=f"If something changed the process (a new service, a new way of working), choose the first "
                    f"{one} after it: SPC limits are recalculated from there and the forecast uses only the "
                    f"{one}s since.")
    if sel.view == "forecast":
        _, many = sel.unit_words
        _bound(right.selectbox, "Forecast horizon", "h", HORIZONS[sel.period_type], sel.horizon,
               format_func=lambda n: f"{n} {many}")


def _badges(summary: dict) -> None:
    """The Making Data Count icons' meanings as labelled badges: variation, then assurance."""
    icon, colour, words = VARIATION_BADGE.get(summary["latest_variation"], VARIATION_BADGE["common cause"])
    parts = [f":{colour}-badge[{icon} Latest point: {words}]"]
    if summary.get("assurance"):
        icon, colour, words = ASSURANCE_BADGE[summary["assurance"]]
        parts.append(f":{colour}-badge[{icon} {words}]")
    st.markdown(" ".join(parts))


def _breaks_caption(sel: Selection) -> None:
    totals = views.totals_sentence(sel.frame)
    if totals:
        st.caption(ui.text(totals))
    if sel.breaks:
        items = "; ".join(f"{ui.text(b['period'])}: {ui.text(b['reason'])}" for b in sel.breaks)
        st.caption(f"**Breaks in the series** (limits restart and forecasts never cross them): {items}.")


def _plot(fig, key: str) -> None:
    ui_plotly.plot(fig, key=key, config={"displaylogo": False})


def _key(sel: Selection, *more) -> tuple:
    """What a view's products depend on: cached views are looked up by this, never by the frames."""
    return (sel.store_stamp, sel.indicator_id, sel.area, sel.category, sel.change_label, *more)


@st.cache_resource(max_entries=256, show_spinner=False)
def _spc_view(_sel: Selection, key: tuple) -> tuple[pl.DataFrame, dict, object]:
    """SPC table, summary and figure for one selection, shared by every session (never mutated)."""
    sel = _sel
    table, summary = views.spc(sel.frame, sel.indicator, sel.breaks, sel.change_point)
    fig = spc_figure(table, sel.indicator, area_name=_subtitle(sel))
    starts = sel.frame["period_start"].to_list()
    trends_figures.show_gaps(fig, starts, sel.period_type)
    trends_figures.mark_breaks(fig, starts, sel.breaks, sel.change_point, sel.change_label)
    return table, summary, trends_figures.iso_dates(fig)


@st.cache_resource(max_entries=128, show_spinner=False)
def _forecast_view(_sel: Selection, key: tuple) -> tuple[forecast.Forecast, object | None]:
    """The forecast (fits are cached in explorer.forecast) and its figure: the SPC chart of the
    history it was fitted to, with the fan added."""
    sel = _sel
    result = views.run_forecast(sel.frame, sel.indicator, sel.period_type, sel.breaks, sel.change_point,
                                sel.horizon)
    if result.frame is None:
        return result, None
    shown = sel.frame.filter(pl.col("period_start") >= result.history_first)
    table, _ = views.spc(shown, sel.indicator, [], None)
    fig = spc_figure(table, sel.indicator, area_name=_subtitle(sel))
    trends_figures.show_gaps(fig, shown["period_start"].to_list(), sel.period_type)
    return result, trends_figures.iso_dates(add_forecast(fig, result.frame, sel.indicator))


def spc_block(sel: Selection) -> tuple[pl.DataFrame, dict]:
    table, summary, fig = _spc_view(sel, _key(sel))
    _badges(summary)
    _plot(fig, "trends-spc")
    value = IndicatorText(sel.indicator).value(summary["latest_value"]).removesuffix(" count")
    for line in views.spc_reading(summary, sel.indicator, value):
        st.markdown(ui.text(line))
    _breaks_caption(sel)
    with st.expander("Table: the chart's data, limits and flags"):
        st.dataframe(views.spc_display(table), hide_index=True)
    return table, summary


def forecast_block(sel: Selection) -> forecast.Forecast | None:
    clock = time.perf_counter()
    with st.spinner("Fitting the forecast model (a few seconds the first time) …"):
        result, fig = _forecast_view(sel, _key(sel, sel.horizon))
    if fig is None:
        st.info(result.reason, icon=":material/info:")
        _breaks_caption(sel)
        return None
    _plot(fig, "trends-forecast")
    test = result.backtest
    if test is not None and not test.beats_baseline:
        st.warning("This model did not beat a naive seasonal forecast (the same period last year) on the "
                   "held-out data, so the fan above is no better a guide than last year's figures.",
                   icon=":material/warning:")
    elif test is not None:
        st.success(f"Tested on the last {forecast.HELD_OUT} {sel.unit_words[1]} held out: the model beat a "
                   f"naive seasonal forecast (error {test.model_mase:.2f} against {test.naive_mase:.2f}, MASE).",
                   icon=":material/check_circle:")
    else:
        st.warning("This forecast could not be tested against held-out data (too little history): treat it "
                   "with extra caution.", icon=":material/warning:")
    st.markdown("\n".join(f"- {ui.text(line)}" for line in views.backtest_sentences(result, sel.period_type)))
    st.caption(f"Model fitted in {result.fit_seconds:.1f} s (then cached); this view took "
               f"{time.perf_counter() - clock:.2f} s.")
    _breaks_caption(sel)
    with st.expander("Table: forecast values and prediction intervals"):
        st.dataframe(views.forecast_display(result), hide_index=True)
    return result


@st.cache_resource(max_entries=128, show_spinner=False)
def _seasonal_view(_store: Store, _sel: Selection, key: tuple):
    sel = _sel
    table = views.seasonal_table(sel.frame, sel.period_type)
    average = views.pre_pandemic_average(table)
    excess = views.excess_deaths(_store, sel.area) if sel.indicator_id == views.DEATHS else pl.DataFrame()
    ons = None
    if not excess.is_empty():
        ons_all = views.seasonal_table(trends.series(_store, views.FIVE_YEAR_AVERAGE, sel.area, None), "week")
        ons = ons_all.filter(pl.col("season") == table["season"].max())
    fig = trends_figures.seasonal_figure(table, average, sel.indicator, _subtitle(sel), ons)
    excess_fig = (trends_figures.iso_dates(trends_figures.excess_figure(excess.tail(104), _subtitle(sel)))
                  if not excess.is_empty() else None)
    return table, average, fig, excess, excess_fig


def seasonal_block(store: Store, sel: Selection) -> None:
    table, average, fig, excess, excess_fig = _seasonal_view(store, sel, _key(sel))
    _plot(fig, "trends-seasonal")
    if average.is_empty():
        st.caption("There are no figures before 2020 for this series, so no pre-2020 average is shown.")
    else:
        st.caption("The pre-2020 average is the mean of each month or week over the years before 2020 "
                   "(before the COVID-19 pandemic changed most health service patterns).")
    if sel.breaks:
        st.caption("The series has breaks (listed below): years either side of one are not strictly "
                   "comparable.")
    _breaks_caption(sel)
    with st.expander("Table: each year's values"):
        st.dataframe(views.seasonal_pivot(table, average), hide_index=True)
    if excess_fig is not None:
        _excess(excess, excess_fig)


def _excess(excess: pl.DataFrame, fig) -> None:
    st.markdown("#### Excess deaths")
    _plot(fig, "trends-excess")
    st.markdown(ui.text(views.excess_sentence(excess)))
    with st.expander("Table: excess deaths by week"):
        st.dataframe(views.excess_display(excess), hide_index=True)


@st.cache_resource(max_entries=256, show_spinner=False)
def _download_bytes(_sel: Selection, _result: forecast.Forecast | None, key: tuple) -> bytes:
    table, _, _ = _spc_view(_sel, _key(_sel))
    return views.csv_bytes(views.download_table(_sel.indicator, _sel.area, _sel.area_label, _sel.category,
                                                table, _result))


def download_block(sel: Selection, result: forecast.Forecast | None) -> None:
    key = _key(sel, sel.horizon if result is not None else None)
    st.download_button("Download CSV: the series with SPC limits, flags and any forecast",
                       _download_bytes(sel, result, key), file_name=f"{sel.indicator_id}_{sel.area}_trends.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore")


def _subtitle(sel: Selection) -> str:
    return sel.area_label + (f" · {sel.category}" if sel.category else "")
