"""Streamlit glue for the Explore page: selectors bound to the URL, summary, charts, table.

The URL is the single source of truth. Each run resolves st.query_params into a Selection
(explore_options.resolve), writes the canonical query back, and sets every widget's session
state from the Selection before drawing it. A widget's on_change callback writes the new value
into the query (dropping picks that depend on it), resolves once more so the URL stays
canonical, and Streamlit reruns the page from that URL. Notices from a resolve run inside a
callback are dropped: they would only describe the user's own change.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer import ui, ui_plotly
from explorer.queries import explore_figures as figures
from explorer.queries import summary
from explorer.queries.explore import ExploreData, explore, table_frame
from explorer.queries.explore_map import boundary_url
from explorer.queries.explore_options import COLOUR_MODES, TABS, Selection, resolve
from explorer.state import LIST_SEPARATOR
from explorer.store import Store

# Picks that no longer make sense once an earlier one changes (the rest fall back silently).
RESETS = {"t": ("i", "p", "pr", "sx", "ag", "ct", "a"), "i": ("p", "pr", "sx", "ag", "ct"),
          "at": ("a",)}
# The widgets inside `results`, and the selectors above it (a full run draws those).
RESULT_KEYS = ("p", "a", "tab", "c", "v")
ABOVE_KEYS = ("t", "i", "at", "pr", "sx", "ag", "ct", "bm")
PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": False,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]{}#|~$"})


def md(value: object) -> str:
    """Data text made safe for st.markdown: HTML escaped, then markdown (and $ maths) neutralised."""
    return html.escape("" if value is None else str(value).translate(MARKDOWN_SPECIAL), quote=False)


def page_link(label: str, page: str, query: dict[str, str], where=st, icon: str | None = None) -> None:
    """A link to another page of the app that opens in the same tab (st.page_link). A page run
    on its own (AppTest) has no navigation to link into, so there it is a plain markdown link."""
    try:
        where.page_link(page, label=label, query_params=query, icon=icon)
    except StreamlitPageNotFoundError:
        url = "/" + page.removeprefix("pages/").removesuffix(".py") + ("?" + urlencode(query) if query else "")
        where.markdown(f"[{label}]({url})")


def widget_key(key: str) -> str:
    return f"explore_{key}"


def _encode(key: str, value: object) -> str | None:
    if key == "cb":
        return "1" if value else None
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(map(str, value)) or None
    return None if value in (None, "") else str(value)


def _apply(changes: dict[str, str | None], resets: tuple[str, ...] = ()) -> None:
    query = st.query_params.to_dict()
    for key in resets:
        query.pop(key, None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    st.query_params.from_dict(resolve(ui.get_store(), query).query)


def _changed(key: str) -> None:
    _apply({key: _encode(key, st.session_state[widget_key(key)])}, RESETS.get(key, ()))


def _chart_clicked(points: list[dict]) -> None:
    """Clicking an area's point on the ranked chart adds it to (or removes it from) the chosen
    areas; the chart's y values are area codes."""
    clicked = [p.get("y") for p in points if isinstance(p.get("y"), str)]
    if not clicked:
        return
    chosen = [a for a in (st.query_params.get("a") or "").split(LIST_SEPARATOR) if a]
    for code in clicked:
        chosen = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
    _apply({"a": LIST_SEPARATOR.join(chosen[-10:]) or None})


def selection(store: Store) -> Selection:
    """Resolve the page's URL, make it canonical, and preset every widget from it."""
    sel = resolve(store, st.query_params.to_dict())
    if sel.query != st.query_params.to_dict():
        st.query_params.from_dict(sel.query)
    _preset(sel, tuple(_widget_values(sel)))
    return sel


def _widget_values(sel: Selection) -> dict[str, object]:
    return {"t": sel.topic or "", "i": sel.indicator_id, "at": sel.area_type, "pr": sel.producer,
            "cb": sel.current, "p": sel.period, "sx": sel.sex, "ag": sel.age, "ct": sel.category or "",
            "bm": sel.benchmark, "a": list(sel.areas), "c": sel.colour, "v": sel.view, "tab": TABS[sel.tab]}


def _preset(sel: Selection, keys: tuple[str, ...]) -> None:
    values = _widget_values(sel)
    for key in keys:
        st.session_state[widget_key(key)] = values[key]


def _options(sel: Selection, key: str) -> list:
    return ["" if o is None else o for o in sel.choices[key]]


def _label(sel: Selection, key: str):
    labels = {("" if k is None else k): v for k, v in sel.labels.get(key, {}).items()}
    return lambda option: labels.get(option, option)


def _select(sel: Selection, key: str, label: str, help_text: str, where=st) -> None:
    options = _options(sel, key)
    where.selectbox(label, options, key=widget_key(key), format_func=_label(sel, key), help=help_text,
                    on_change=_changed, args=(key,))


def selectors(sel: Selection) -> None:
    """Topic and indicator, then the slice: area type, producer, sex, age, breakdown, benchmark;
    the current-boundaries toggle when re-estimates exist. (The period is chosen in `results`.)"""
    with st.container(border=True):
        left, right = st.columns([1, 3])
        _select(sel, "t", "Topic", "Narrow the indicator list to one topic.", left)
        _select(sel, "i", "Indicator", "Type to search. The organisations that publish it follow the dot.",
                right)
        wanted = [("at", "Area type", "Only the kinds of area this indicator is published for."),
                  ("pr", "Producer", "Organisations publishing this indicator for this area type."),
                  ("sx", "Sex", "Shown when the producer publishes separate figures."),
                  ("ag", "Age group", "Shown when the producer publishes separate age groups."),
                  ("ct", "Breakdown", "Part of the indicator, e.g. a type of A&E department."),
                  ("bm", "Compare with", "England, or each area's parent area.")]
        shown = [w for w in wanted if w[0] in ("at", "bm") or len(sel.choices[w[0]]) > 1]
        for column, (key, label, help_text) in zip(st.columns(len(shown)), shown, strict=True):
            _select(sel, key, label, help_text, column)
        fixed = [f"{name}: {md(value)}" for key, name, value in
                 (("pr", "Producer", sel.producer), ("sx", "Sex", sel.sex), ("ag", "Age", sel.age))
                 if len(sel.choices[key]) == 1]
        if fixed:
            st.caption(" · ".join(fixed))
        if sel.reestimated_offered:
            st.toggle("Show on current boundaries (re-estimated)", key=widget_key("cb"), on_change=_changed,
                      args=("cb",), help="Areas that later merged or split are replaced by our re-estimates "
                      "on today's boundaries, so a series can run across the change. Labelled “re-estimated”.")


def summary_block(sel: Selection, data: ExploreData) -> None:
    """The plain-English summary: the text alternative for the map, chart and trend. In a `ui.slot`:
    its number of lines varies."""
    with ui.slot():
        _summary(sel, data)


def _summary(sel: Selection, data: ExploreData) -> None:
    ind = sel.indicator
    st.subheader(md(f"{ind.get('title') or sel.indicator_id}, {sel.period}"))
    lines = []
    chosen = set(sel.areas)
    rows = {r["area_code"]: r for r in data.frame.iter_rows(named=True) if r["area_code"] in chosen}
    for code in sel.areas:
        if code in rows:
            lines.append(summary.area_sentence(ind, sel.period, rows[code], data.benchmark_label))
        sentence = summary.trend_sentence(rows.get(code, {}).get("area_name", code), data.trends.get(code))
        if sentence:
            lines.append(sentence)
    lines += summary.overview_sentences(ind, sel.period, sel.area_type, data.frame, data.england,
                                        data.benchmark_label)
    st.markdown("\n\n".join(md(line) for line in lines))
    definition = ind.get("definition")
    if definition:
        st.caption(f"{md(definition)} [Definition and method](/indicator?i={sel.indicator_id})")
    for note in data.notes:
        st.caption(f":material/info: {md(note)}")


def area_picker(sel: Selection, where=st) -> None:
    where.multiselect("Highlight areas (up to 10): they are outlined on the map, ringed on the chart, "
                      "drawn on the trend and ticked in the table", _options(sel, "a"), key=widget_key("a"),
                      format_func=_label(sel, "a"), max_selections=10, on_change=_changed, args=("a",),
                      placeholder="Type an area name, or click an area on the ranked chart")


def _legend_text(sel: Selection, data: ExploreData, colour: str) -> str:
    """What the colours mean, in words (the legend, the hover and the table say the same)."""
    bench = data.benchmark_label
    if colour == "comparison":
        if sel.indicator.get("polarity") in ("high is good", "low is good"):
            scale = (f"blue: significantly better than {bench}; amber: similar; orange-red: significantly "
                     "worse (darker shades: at the 99.8% level)")
        else:
            scale = (f"dark blue: significantly higher than {bench}; light blue: significantly lower; "
                     "amber: similar. Higher is neither better nor worse for this indicator")
        return (f"Each area's 95% confidence interval is compared with {bench}: {scale}. White: not "
                "compared; grey: no data. The Compare areas view adds a marker shape for each outcome, and "
                "the hover and the Table view say it in words.")
    if colour == "quintile":
        return ("Areas are split into five equal-sized groups (quintiles), Q1 lowest to Q5 highest value; "
                "each area's quintile is in the hover and the Table view. Grey: no data.")
    return "Colours run from pale (low values) to dark blue (high values). Grey: no data."


def _fresh(store: Store, sel: Selection) -> Selection:
    return ui.fresh(sel, lambda query: resolve(store, query))


def _current(store: Store, sel: Selection, data: ExploreData) -> tuple[Selection, ExploreData]:
    fresh = _fresh(store, sel)
    return (sel, data) if fresh is sel else (fresh, explore(store, fresh))


def _above(sel: Selection) -> tuple:
    """What the selectors above the results show: their options, values and captions."""
    values = _widget_values(sel)
    return (tuple((key, tuple(sel.choices[key]), values[key]) for key in ABOVE_KEYS),
            sel.reestimated_offered, sel.current)


# A new period or new highlighted areas rerun only this block, so the browser redraws the results
# and leaves the selectors above (and their long option lists) as they are: BENCHMARKS.md.
@st.fragment
def results(store: Store, sel: Selection) -> None:
    """The period and highlighted areas, then everything that follows them: the summary and one
    view at a time (map, compare areas, trend or table: the URL's `tab`). A period whose other
    choices differ (say, other age groups on offer) reruns the whole page, so the selectors above
    never show a stale list."""
    fresh = _fresh(store, sel)
    if fresh is not sel:
        if _above(fresh) != _above(sel):
            st.rerun(scope="app")
        _preset(fresh, RESULT_KEYS)
    sel = fresh
    data = explore(store, sel)
    period, areas = st.columns([1, 3])
    _select(sel, "p", "Period", "The latest period is shown unless you choose another.", period)
    area_picker(sel, areas)
    summary_block(sel, data)
    # Only the open view runs (st.tabs tracks which one is open because it has a callback), so a
    # new period computes, sends and redraws one view, not four (BENCHMARKS.md, session 6).
    tabs = st.tabs(list(TABS.values()), key=widget_key("tab"), on_change=_tab_changed)
    for code, tab in zip(TABS, tabs, strict=True):
        if tab.open:
            with tab:
                VIEWS[code](store, sel, data)


def _tab_changed() -> None:
    """st.tabs reports the open tab by its label; the URL keeps its code (tab=map …)."""
    label = st.session_state[widget_key("tab")]
    _apply({"tab": next((code for code, text in TABS.items() if text == label), None)})


# The map and the compare-areas chart are fragments: their own controls (colour, ranked/funnel)
# rerun only that block, so the browser redraws one chart instead of the whole page.
@st.fragment
def map_block(store: Store, sel: Selection, data: ExploreData) -> None:
    sel, data = _current(store, sel, data)
    url = None
    if data.vintage and st.get_option("server.enableStaticServing"):
        url = boundary_url(store, sel.area_type, data.vintage)
    fig = figures.map_figure(store, sel, data, url)
    if fig is None:
        st.info("No map for this period and area type: see Compare areas and Table.", icon=":material/map:")
        ui.source_footer(store, sel.indicator_id, sel.producer)
        return
    # England is taller than wide: the map takes the left of the page and its key sits beside it.
    drawn, key = st.columns([3, 2], gap="large")
    with drawn:
        ui_plotly.plot(fig, key="explore-map", config=PLOTLY_CONFIG)
    with key:
        st.radio("Colour the map by", list(COLOUR_MODES), key=widget_key("c"), on_change=_changed, args=("c",),
                 format_func=_label(sel, "c"))
        colour, why = figures.effective_colour(sel, data)
        note = ui.slot()  # always there, so the key below keeps its place whether or not a note shows
        if why:
            note.caption(md(why))
        st.caption(md(_legend_text(sel, data, colour)))
        ui.source_footer(store, sel.indicator_id, sel.producer)


@st.fragment
def compare_block(store: Store, sel: Selection, data: ExploreData) -> None:
    areas = list(sel.areas)
    sel, data = _current(store, sel, data)
    if sel.areas != areas:  # a click on the chart chose an area: every block shows it
        st.rerun(scope="app")
    control = ui.slot()
    if len(sel.choices["v"]) > 1:
        control.radio("Compare areas as", sel.choices["v"], key=widget_key("v"), horizontal=True,
                      format_func=_label(sel, "v"), on_change=_changed, args=("v",))
    figure = figures.compare_figure(store, sel, data)
    if sel.view == "ranked":
        ui_plotly.plot(figure, key="explore-compare", config=PLOTLY_CONFIG, on_click=_chart_clicked)
    else:
        ui_plotly.plot(figure, key="explore-compare", config=PLOTLY_CONFIG)
    if sel.benchmark == "parent":
        st.caption("Each area is compared with its own parent area, so there is no single benchmark line.")
    ui.source_footer(store, sel.indicator_id, sel.producer)


def trend_block(store: Store, sel: Selection, data: ExploreData) -> None:
    fig = figures.trend_figure(store, sel, data)
    note = ui.slot()
    if not sel.areas:
        note.caption("Showing England. Choose areas above to draw them against the benchmark.")
    if fig is None:
        st.info("There is no series over time to draw for this selection.", icon=":material/show_chart:")
        return
    ui_plotly.plot(fig, key="explore-trend", config=PLOTLY_CONFIG)
    ui.source_footer(store, sel.indicator_id, sel.producer)


def table_block(store: Store, sel: Selection, data: ExploreData) -> None:
    table = table_frame(sel, data)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Chosen": st.column_config.CheckboxColumn("Chosen", width="small"),
        "On map": st.column_config.CheckboxColumn("On map", width="small"),
        "Count": st.column_config.NumberColumn(format="localized"),
        "Denominator": st.column_config.NumberColumn(format="localized"),
    })
    st.caption("“*” marks a value the producer suppressed to protect confidentiality; the status says why. "
               "Sort any column by clicking its heading; download the table from its toolbar.")
    ui.source_footer(store, sel.indicator_id, sel.producer)


VIEWS = {"map": map_block, "compare": compare_block, "trend": trend_block, "table": table_block}
