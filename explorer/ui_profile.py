"""Streamlit glue for the area profile page: selectors bound to the URL, header, table helpers and
downloads. The views themselves are in ui_profile_views; data work in explorer.queries.profile*.

As on the Explore page, the URL is the single source of truth: each run resolves
st.query_params into a ProfileState (profile_options.resolve), writes the canonical query back and
presets every widget's session state from it; a widget's on_change callback writes the new value
into the query (a new area drops the picks that depended on the old one) and Streamlit reruns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl
import streamlit as st

from explorer import peers, ui, ui_plotly
from explorer.queries import profile_areas, profile_export
from explorer.queries import profile_options as opts
from explorer.store import Store

SYMBOLS = {"best": "▲▲ Better (99.8%)", "better": "▲ Better", "similar": "● Similar", "worse": "▼ Worse",
           "worst": "▼▼ Worse (99.8%)", "higher": "△ Higher", "lower": "▽ Lower", "not compared": "– Not compared"}
TREND_SYMBOLS = {"Increasing and getting better": "↗ Increasing, getting better",
                 "Increasing and getting worse": "↗ Increasing, getting worse",
                 "Decreasing and getting better": "↘ Decreasing, getting better",
                 "Decreasing and getting worse": "↘ Decreasing, getting worse",
                 "Increasing": "↗ Increasing", "Decreasing": "↘ Decreasing",
                 "No significant change": "→ No significant change", "Cannot be calculated": "– Not calculated"}
BENCH_WORDS = {"england": "England", "parent": "Parent area", "peers": "Peers"}
BENCH_SHORT = {"england": "England", "peers": "peer average"}
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
               "toImageButtonOptions": {"format": "svg", "scale": 1}}
WIDGETS = {"area": "profile_area", "t": "profile_topic", "b": "profile_bench", "v": "profile_view",
           "p": "profile_peers", "fi": "profile_funnel", "c": "profile_compare", "ci": "profile_over_time"}


MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]{}#|~$"})


def md(value: object) -> str:
    """Text from data made safe inside st.markdown / st.caption / st.info: HTML escaped and the
    markdown (and $ maths) characters backslash-escaped, so a name can never become a link or
    formatting."""
    return ui.text("" if value is None else str(value).translate(MARKDOWN_SPECIAL))


# --- state ------------------------------------------------------------------------------------
def selection(store: Store) -> opts.ProfileState:
    """Resolve the URL, make it canonical and preset every widget from it."""
    sel = opts.resolve(store, st.query_params.to_dict())
    if sel.query != st.query_params.to_dict():
        st.query_params.from_dict(sel.query)
    values = {"area": sel.key, "t": sel.topic, "b": sel.benchmark, "v": sel.view, "p": list(sel.peers),
              "fi": sel.funnel_row, "c": [c for c in sel.compare if c != sel.code], "ci": sel.compare_row}
    for key, value in values.items():
        st.session_state[WIDGETS[key]] = value
    st.session_state["profile_computed_peers"] = sel.computed.codes if sel.computed else []
    return sel


def _changed(key: str) -> None:
    value = st.session_state.get(WIDGETS[key])
    if value is None and key == "area":
        return
    if key == "p" and list(value or []) == list(st.session_state.get("profile_computed_peers", [])):
        value = None  # back to the computed peers: keep the link short
    query = opts.changed_query(st.query_params.to_dict(), key, value)
    st.query_params.from_dict(opts.resolve(ui.get_store(), query).query)


def reset_peers() -> None:
    query = st.query_params.to_dict()
    query.pop("p", None)
    st.query_params.from_dict(opts.resolve(ui.get_store(), query).query)


def select(key: str, label: str, options: list, format_func: Callable = str, where=st, **kwargs):
    return where.selectbox(label, options, key=WIDGETS[key], format_func=format_func, on_change=_changed,
                           args=(key,), **kwargs)


def segmented(key: str, label: str, options: list, format_func: Callable = str, where=st, **kwargs):
    return where.segmented_control(label, options, key=WIDGETS[key], format_func=format_func,
                                   on_change=_changed, args=(key,), required=True, **kwargs)


def multi(key: str, label: str, options: list, format_func: Callable = str, where=st, **kwargs):
    return where.multiselect(label, options, key=WIDGETS[key], format_func=format_func, on_change=_changed,
                             args=(key,), **kwargs)


def selectors(store: Store, sel: opts.ProfileState) -> None:
    """Area search and topic (the benchmark and view are in the profile's own block: `controls`)."""
    labels = profile_areas.labels(store)
    with st.container(border=True):
        left, right = st.columns([5, 3])
        select("area", "Area", list(labels), lambda k: labels.get(k, k), left,
               placeholder="Type a name, ODS code (e.g. 08H) or GSS code (e.g. E38000232)",
               filter_mode="contains", help="Areas that no longer exist are listed with the date they ended; "
               "choosing one shows the area that replaced it, with an explanation.")
        if sel.code is None:
            return
        topics = opts.topic_titles()
        select("t", "Topic", sel.choices["t"], lambda t: "All topics" if t == "all" else topics.get(t, t), right)


def controls(store: Store, sel: opts.ProfileState) -> None:
    """The benchmark and the view, side by side above the view they change."""
    left, right = st.columns([2, 3])
    segmented("b", "Compare with", sel.choices["b"], lambda b: bench_label(store, sel, b), left,
              help="The benchmark at the centre of the chart and in the 'Compared with' column.")
    segmented("v", "View", sel.choices["v"], lambda v: opts.VIEWS.get(v, v), right)


def current(store: Store, sel: opts.ProfileState) -> opts.ProfileState:
    return ui.fresh(sel, lambda query: opts.resolve(store, query))


def examples() -> None:
    st.markdown("Choose an area above to see its profile. For example: "
                "[Bradford (local authority)](/area?a=E08000032&at=utla) · "
                "[Bradford District and Craven (sub-ICB location, 36J)](/area?a=E38000232&at=sub_icb) · "
                "[NHS Islington CCG (08H), which merged in 2020](/area?a=08H) · "
                "[NHS West Yorkshire ICB](/area?a=E54000054&at=icb)")


def bench_label(store: Store, sel: opts.ProfileState, key: str | None = None) -> str:
    """The benchmark's button label: England, ICB / Region / NHS region, Peers."""
    key = key or sel.benchmark
    if key == "parent" and sel.parent_type:
        return profile_areas.PARENT_WORD.get(sel.parent_type, "Parent area")
    return BENCH_WORDS.get(key, key)


def bench_short(store: Store, sel: opts.ProfileState) -> str:
    """The benchmark in legends and column headings: England, ICB / Region, peer average."""
    return BENCH_SHORT.get(sel.benchmark) or bench_label(store, sel)


def bench_name(store: Store, sel: opts.ProfileState) -> str:
    """The benchmark as a name for titles: England, the parent area's name, or the peer average."""
    if sel.benchmark == "parent" and sel.parent_code:
        return parent_name(store, sel)
    return "the peer average" if sel.benchmark == "peers" else "England"


def parent_name(store: Store, sel: opts.ProfileState) -> str:
    return profile_areas.area_name(store, sel.parent_code) if sel.parent_code else "Parent area"


# --- header -----------------------------------------------------------------------------------
def history_notice(sel: opts.ProfileState) -> None:
    """Why the area shown is not the one asked for, or that it no longer exists (in a `ui.slot`)."""
    box = ui.slot()
    if sel.replaced is not None:
        old = sel.replaced
        code = md(old.get("ods_code") or old["area_code"])
        box.info(f"You asked for **{md(old['area_name'])}** ({code}), which no longer exists. "
                f"{md(sel.history)} This profile shows the area that replaced it. "
                f"[Show {md(old['area_name'])}'s own figures instead]"
                f"(?a={old['area_code']}&at={old['area_type']}&old=1)", icon=":material/history:")
    elif sel.history:
        box.info(f"{md(sel.history)} These are its own figures, up to its last period.",
                icon=":material/history:")


def header(store: Store, sel: opts.ProfileState, summary: dict, attention: int, rows: int) -> None:
    area = sel.area or {}
    st.header(md(area.get("display_name") or profile_areas.area_name(store, sel.code)), anchor=False)
    facts = [profile_areas.type_label(sel.area_type)]
    codes = " · ".join(c for c in (area.get("ods_code"), sel.code) if c)
    facts.append(f"codes {codes}")
    if sel.parent_code:
        facts.append(f"part of {parent_name(store, sel)}")
    if area.get("population"):
        facts.append(f"population {area['population']:,.0f} (mid-2020)")
    st.caption(md(" · ".join(facts)))
    cols = st.columns(3)
    cols[0].metric("Indicators", rows, help="Each indicator's latest period for this area.")
    cols[1].metric(f"Significantly different from {bench_short(store, sel)}",
                   f"{summary['significant']} of {summary['compared']}",
                   help=f"By chance alone about {summary['expected']:g} of {summary['compared']} would be, "
                   "if the area were typical on every indicator (1 in 20 at the 95% level).")
    cols[2].metric("Need attention", attention,
                   help="Significantly worse than England and the recent trend is getting worse.")


# --- tables -----------------------------------------------------------------------------------
def comparison_words(label: str | None) -> str:
    return SYMBOLS.get((label or "not compared").lower(), SYMBOLS["not compared"])


def trend_words(label: str | None) -> str:
    return TREND_SYMBOLS.get(label or "", "– Not calculated")


def rounded(value: float | None) -> float | None:
    """Rounded for reading: whole numbers from 1,000, one decimal from 1, else two."""
    if value is None:
        return None
    size = abs(value)
    return float(round(value)) if size >= 1000 else round(value, 1) if size >= 1 else round(value, 2)


def num(column: str) -> pl.Expr:
    return pl.col(column).map_elements(rounded, return_dtype=pl.Float64, skip_nulls=True)


def words(column: str, fn: Callable[[str | None], str] = comparison_words) -> pl.Expr:
    return pl.col(column).map_elements(fn, return_dtype=pl.String, skip_nulls=False)


def indicator_label() -> pl.Expr:
    return pl.when(pl.col("breakdown") != "").then(
        pl.col("short_title") + " (" + pl.col("breakdown") + ")").otherwise(pl.col("short_title"))


def table(frame: pl.DataFrame, max_height: int = 1400, **kwargs) -> None:
    """A table with every row visible (up to `max_height` pixels), numbers with thousands commas."""
    numbers = {c: st.column_config.NumberColumn(c, format="localized") for c, t in frame.schema.items()
               if t.is_numeric()}
    height = min(max_height, 38 + 35 * max(frame.height, 1))
    st.dataframe(frame, hide_index=True, width="stretch", column_config=numbers, height=height, **kwargs)


def figure(value: float | None) -> str:
    """A number as text with enough digits to tell two close values apart."""
    if value is None:
        return "–"
    size = abs(value)
    return f"{value:,.0f}" if size >= 1000 else f"{value:.1f}" if size >= 100 else (
        f"{value:.2f}" if size >= 1 else f"{value:.3f}")


def interval(lower: str, upper: str) -> pl.Expr:
    return pl.struct(lower, upper).map_elements(
        lambda r: None if r[lower] is None or r[upper] is None else f"{figure(r[lower])} to {figure(r[upper])}",
        return_dtype=pl.String)


def chart(fig, key: str, file_stem: str) -> None:
    """A plotly chart (its camera button saves SVG in the browser) plus PNG and SVG downloads drawn
    on the server by kaleido, only when clicked and only where Debian's Chromium is installed."""
    config = {**PLOT_CONFIG, "toImageButtonOptions": {**PLOT_CONFIG["toImageButtonOptions"],
                                                      "filename": file_stem}}
    ui_plotly.plot(fig, key=key, config=config)
    if not profile_export.static_export_available():
        st.caption("To save this chart, use the camera button at its top right (SVG).")
        return
    cols = st.columns([1, 1, 3])
    for col, fmt, mime in ((cols[0], "png", "image/png"), (cols[1], "svg", "image/svg+xml")):
        col.download_button(f"Chart as {fmt.upper()}", data=_image(fig, fmt), file_name=f"{file_stem}.{fmt}",
                            mime=mime, key=f"{key}-{fmt}", on_click="ignore", icon=":material/image:",
                            help="Drawn on the server when you click; the first one can take a few seconds.")


def _image(fig, fmt: str) -> Callable[[], bytes]:
    return lambda: profile_export.figure_image(fig, fmt)


def downloads(frame: pl.DataFrame, about: list[tuple[str, str]], file_stem: str, key: str) -> None:
    """CSV and Excel downloads of the profile (built when clicked)."""
    data = profile_export.table(frame)
    cols = st.columns([1, 1, 3])
    cols[0].download_button("Table as CSV", data=lambda: profile_export.to_csv(data), file_name=f"{file_stem}.csv",
                            mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/download:")
    cols[1].download_button("Table as Excel", data=lambda: profile_export.to_xlsx(data, about),
                            file_name=f"{file_stem}.xlsx", key=f"{key}-xlsx", on_click="ignore",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            icon=":material/download:")


def file_stem(*parts: str | None) -> str:
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "profile"


def about_lines(store: Store, sel: opts.ProfileState) -> list[tuple[str, str]]:
    """What the Excel 'About' sheet says about this download."""
    lines = [("Area", f"{profile_areas.area_name(store, sel.code)} ({sel.code}, "
                      f"{profile_areas.type_label(sel.area_type)})"),
             ("Benchmark", bench_label(store, sel)),
             ("Peers", ", ".join(profile_areas.area_name(store, c) for c in sel.peers) or "none"),
             ("Peer method", "chosen by the user" if sel.custom_peers else
              (sel.computed.method.title + ": " + "; ".join(peers.describe(sel.computed.method))
               if sel.computed and sel.computed.method else "none")),
             ("Comparisons", "Fingertips method: similar when the benchmark lies inside the area's 95% "
              "confidence interval; 99.8% limits give 'best'/'worst'. Peer average compared by a two-sample "
              "z test counting both intervals."),
             ("Recent trend", "Fingertips recent-trend test on the last 5 points (chi-square > 9.55)."),
             ("Link", "/area?" + "&".join(f"{k}={v}" for k, v in sel.query.items()))]
    return lines


def multiple_comparisons_note(summary: dict, bench: str) -> None:
    """The plain warning that many comparisons give some "significant" results by chance."""
    if not summary.get("compared"):
        return
    st.caption(
        f"{summary['significant']} of {summary['compared']} indicators that could be compared differ "
        f"significantly from {md(bench)} at the 95% level. Even if this area were typical on every "
        f"one of them, about 1 in 20 comparisons (here about {summary['expected']:g}) would come out "
        "“significant” by chance, so read single differences with care. The funnel plot view shows which "
        "differences stand out beyond the 99.8% limits.")
