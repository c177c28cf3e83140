"""The area profile page's five views: profile (spine chart and table), needs attention, peers,
funnel plot and compare areas. Streamlit rendering only; frames come from explorer.queries."""

from __future__ import annotations

import polars as pl
import streamlit as st

from explorer import charts, peers
from explorer import ui_profile as uip
from explorer.queries import profile as prof
from explorer.queries import profile_areas, profile_peers
from explorer.queries import profile_options as opts
from explorer.store import Store


def _name(store: Store, code: str | None, sel: opts.ProfileState | None = None) -> str:
    """The area's name; for the profiled area, its name as the kind of area chosen (a CCG keeps its
    CCG name even where the same code is now a sub-ICB location)."""
    if sel is not None and sel.area and code == sel.code:
        return sel.area["display_name"]
    return profile_areas.area_name(store, code)


def _row(frame: pl.DataFrame, row_id: str | None) -> dict | None:
    if row_id is None or frame.is_empty():
        return None
    hit = frame.filter(pl.col("row_id") == row_id)
    return hit.row(0, named=True) if hit.height else None


def _indicator(store: Store, row: dict) -> dict:
    """The catalogue row a chart needs, titled with the breakdown (e.g. "..., aged 17+")."""
    ind = dict(store.indicator(row["indicator_id"]) or {})
    if row.get("breakdown"):
        ind["title"] = f"{ind.get('title', row['indicator_id'])} ({row['breakdown']})"
    return ind


def _row_labels(frame: pl.DataFrame) -> dict[str, str]:
    labels = frame.select("row_id", uip.indicator_label().alias("label"), "period")
    return {r: f"{lab} ({p})" for r, lab, p in labels.iter_rows()}


# --- profile ----------------------------------------------------------------------------------
@st.fragment
def body(store: Store, sel: opts.ProfileState) -> None:
    """Header, benchmark and view controls, and the chosen view. A fragment: the controls inside it
    (benchmark, view, peers, areas to compare) rerun only this block, not the area search above."""
    sel = uip.current(store, sel)
    full = profile_peers.benchmarked(store, sel.code, sel.area_type, tuple(sel.peers))
    frame = prof.with_benchmark(prof.profile_topic(full, sel.topic), sel.benchmark)
    summary = prof.chance_summary(frame, "comparison")  # against the chosen benchmark
    uip.header(store, sel, summary, prof.needs_attention(frame).height, frame.height)
    if frame.is_empty():
        st.info("We hold no figures for this area in this topic.", icon=":material/info:")
        return
    uip.controls(store, sel)
    if sel.view in VIEWS:
        VIEWS[sel.view](store, sel, frame)
    else:
        profile_view(store, sel, frame, summary)


def profile_view(store: Store, sel: opts.ProfileState, frame: pl.DataFrame, summary: dict) -> None:
    bench = uip.bench_short(store, sel)
    name = _name(store, sel.code, sel)
    spine = prof.spine_data(frame)
    st.caption("Each row of the chart shows where the area sits (marker) within the range of all areas of its "
               "kind (light bar) and the middle half of them (dark band), with the benchmark as the centre line. "
               "Rows are turned so that better is always to the right; where higher is neither better nor worse "
               "(how common a recorded condition is, say) higher values are on the right.")
    shown = prof.spine_shown(spine)
    # The chart is drawn into its place after the table below it is sent: the table's grid rewrites
    # its screen-reader copy 200 ms after new data arrive, and that wait then overlaps the chart's
    # redraw instead of following it (BENCHMARKS.md, session 5).
    chart = st.container()
    if shown.height < spine.height:
        st.caption(f"The chart shows the first {shown.height} of the {spine.height} indicators it could draw; "
                   "choose a topic above to chart the others. The table below lists every indicator.")
    missing = frame.height - spine.height
    if missing:
        st.caption(f"{missing} indicator{'s are' if missing != 1 else ' is'} in the table below but not on the "
                   f"chart: there is no {uip.md(bench)} value for the period, or only one area to compare.")
    parent = uip.bench_label(store, sel, "parent") if sel.parent_code else "Parent area"
    columns = [
        uip.indicator_label().alias("Indicator"), pl.col("period").alias("Period"), uip.num("value").alias("Value"),
        pl.col("unit").alias("Unit"), uip.num("count").alias("Count"), uip.num("england_value").alias("England"),
        uip.num("parent_value").alias(parent), uip.words("comparison").alias(f"Compared with {bench}"),
        uip.words("trend", uip.trend_words).alias("Recent trend"),
        pl.format("{} of {}", "peer_rank", "peer_rank_of").alias("Rank among area and peers")]
    if sel.benchmark != "peers":
        columns.append(uip.words("peer_comparison").alias("Compared with peer average"))
    display = frame.select(*columns, pl.col("n_areas").alias("Areas compared"))
    uip.table(display)
    uip.multiple_comparisons_note(summary, bench)
    st.caption("▲ better, ▼ worse (95% confidence; doubled at 99.8%), ● similar, △/▽ higher/lower where "
               "higher is neither better nor worse, – not compared (no interval, or no benchmark value for "
               "that period). England figures marked in the download as “summed by us” are totals of all "
               "areas where the producer published none.")
    export = frame.with_columns(pl.lit(name).alias("area_name"), pl.lit(uip.bench_name(store, sel)).alias("benchmark"))
    uip.downloads(export, uip.about_lines(store, sel), uip.file_stem(name, "profile"), "profile-download")
    if shown.height:
        fig = charts.spine_figure(shown, area_name=name, benchmark_label=bench,
                                  title=f"{name} compared with {uip.bench_name(store, sel)}")
        with chart:
            uip.chart(fig, "profile-spine", uip.file_stem(name, "spine-chart"))


# --- needs attention --------------------------------------------------------------------------
def attention_view(store: Store, sel: opts.ProfileState, frame: pl.DataFrame) -> None:
    st.subheader("Needs attention", anchor=False)
    st.caption("Indicators where this area is significantly worse than England (its 95% confidence interval "
               "does not include England's value) and the recent trend is getting worse (Fingertips' test on "
               "the last five points).")
    hits = prof.needs_attention(frame)
    cols = [uip.indicator_label().alias("Indicator"), pl.col("period").alias("Period"),
            uip.num("value").alias("Value"), pl.col("unit").alias("Unit"), uip.num("england_value").alias("England"),
            uip.words("comparison_england").alias("Compared with England"),
            uip.words("trend", uip.trend_words).alias("Recent trend")]
    if hits.is_empty():
        judged = prof.trend_counts(frame)
        st.info(f"No indicator is both significantly worse than England and getting worse. A recent trend "
                f"could be calculated for {judged['with_trend']} of the {judged['rows']} indicators here, so "
                "this list can only be as complete as the data behind it.", icon=":material/info:")
    else:
        uip.table(hits.select(cols))
    worse = prof.worse_without_trend(frame)
    if not worse.is_empty():
        st.markdown("**Worse than England, but not getting worse (or the trend cannot be judged)**")
        uip.table(worse.select(*cols, pl.col("trend_reason").alias("Why no trend")))
    st.caption("Most indicators have no recent trend: it needs five consecutive periods with confidence "
               "intervals and no break in the series.")


# --- peers ------------------------------------------------------------------------------------
def peers_view(store: Store, sel: opts.ProfileState, frame: pl.DataFrame) -> None:
    name = _name(store, sel.code, sel)
    computed = sel.computed
    st.subheader(f"Areas like {uip.md(name)}", anchor=False)
    if computed is not None and computed.method is not None:
        pool = computed.method.title[0].lower() + computed.method.title[1:]
        st.markdown(f"**The {len(computed.codes)} most similar {profile_areas.PLURAL.get(sel.area_type, '')}**, "
                    f"found among {computed.pool_size} {uip.md(pool)} by a nearest-"
                    "neighbour method like CIPFA's: each feature below is put on a common scale (z-scores), "
                    "the distance between two areas is the weighted Euclidean distance between their scores, "
                    "and the 10 nearest are the peers (ties broken by code).")
        st.markdown("\n".join(f"- {uip.md(line)}" for line in peers.describe(computed.method)))
        if computed.left_out:
            st.caption(f"Left out (a feature is missing): {', '.join(_name(store, c) for c in computed.left_out)}.")
        table = computed.table.with_columns(
            pl.col("area_code").replace_strict(profile_areas.names(store), default=pl.col("area_code"))
            .alias("Area"), pl.col("distance").round(2).alias("Distance"))
        shown = [((10 ** pl.col(f.column)) / 1000).round(0).mul(1000).alias(f.label.replace(" (log10)", ""))
                 if f.column == "log_pop" else pl.col(f.column).round(1).alias(f.label)
                 for f in computed.method.features]
        uip.table(table.select("Area", pl.col("rank").alias("Rank"), "Distance", *shown))
        st.caption("Rank 0 is the area itself. Sizes are compared on a log scale (a tenfold difference counts the "
                   "same whether the areas are small or large); the table shows them rounded to the nearest "
                   "thousand.")
    else:
        st.info("No peer group is computed for this kind of area (the store holds no deprivation, size and "
                "age features for it). Choose peers yourself below.", icon=":material/info:")
    with st.expander("What each kind of area is matched on"):
        for method in peers.METHODS.values():
            st.markdown(f"**{uip.md(method.title)}**: " + "; ".join(uip.md(x) for x in peers.describe(method)))
        st.markdown("Regions, NHS regions, combined authorities and CCGs that were in neither the April-2019 nor "
                    "the April-2021 configuration "
                    "have no computed peers (too few areas, or no features held for them): choose peers below.")
    names = profile_areas.names(store)
    uip.multi("p", "Peers (up to 10)", sel.choices["p"], lambda c: names.get(c, c), max_selections=10,
              help="Change the peer group: type a name to add an area, or remove one.")
    if sel.custom_peers:
        st.button("Use the computed peers again", on_click=uip.reset_peers, icon=":material/restart_alt:")
    st.markdown("**Compared with the peer average**")
    st.caption("The peer average has its own 95% interval: pooled counts over pooled denominators where the "
               "peers publish both, otherwise the mean of their values. The area differs from it only when a "
               "two-sample test counting both intervals says so. Comparing with a peer average as if it were "
               "exact (the RightCare “Similar 10” critique) makes about 1 in 8 comparisons look significant by "
               "chance instead of 1 in 20.")
    display = frame.select(
        uip.indicator_label().alias("Indicator"), pl.col("period").alias("Period"), uip.num("value").alias("Value"),
        uip.num("peer_average").alias("Peer average"),
        uip.interval("peer_lower", "peer_upper").alias("Peer average 95% CI"),
        pl.format("{} of {}", "peer_n", pl.lit(len(sel.peers))).alias("Peers with a value"),
        uip.words("peer_comparison").alias("Compared with peer average"),
        pl.format("{} of {}", "peer_rank", "peer_rank_of").alias("Rank (1 = best or highest)"))
    uip.table(display)


# --- funnel -----------------------------------------------------------------------------------
def funnel_view(store: Store, sel: opts.ProfileState, frame: pl.DataFrame) -> None:
    st.subheader("Funnel plot", anchor=False)
    summary = profile_peers.funnel_summary(frame)
    if summary["placed"]:
        st.markdown(
            f"Of the {summary['placed']} indicators here that can go on a funnel plot (proportions and rates "
            f"with counts), **{summary['outside_998']} lie outside the 99.8% limits** around England and "
            f"{summary['outside_95']} outside the 95% limits. If this area were typical on every one, chance "
            f"alone would put about {summary['expected_95']:g} outside the 95% limits and "
            f"{summary['expected_998']:g} outside the 99.8% limits. Where areas genuinely differ (how common a "
            "recorded condition is, say) many will lie outside: that is a real difference between populations, "
            "not a sign of better or worse care.")
    if not sel.choices.get("fi"):
        st.info("No indicator in this topic has the counts and denominators a funnel plot needs.",
                icon=":material/info:")
        return
    labels = _row_labels(frame)
    uip.select("fi", "Indicator", sel.choices["fi"], lambda r: labels.get(r, r))
    row = _row(frame, sel.funnel_row)
    data = profile_peers.funnel_data(store, row) if row else {}
    if not data:
        st.info("Too few areas have counts for this indicator to draw a funnel.", icon=":material/info:")
        return
    chosen = [sel.code, *sel.peers]
    fig = charts.funnel_figure(data["points"], _indicator(store, row), data["benchmark"], data["limits"],
                               highlight=chosen)
    uip.chart(fig, "profile-funnel", uip.file_stem(_name(store, sel.code, sel), row["row_id"], "funnel"))
    kind = profile_areas.SHORT_TYPE.get(row["area_type"], "area")
    st.caption(f"Each dot is one {kind}; {uip.md(_name(store, sel.code, sel))} "
               f"and its peers are drawn larger with a thick outline. The lines are the 95% (dashed) and 99.8% "
               f"(solid) limits around {uip.md(data['benchmark_label'])}: small areas scatter more by chance, "
               "so the limits narrow as areas get bigger.")
    positions = charts.funnel_positions(data["points"], data["limits"])
    points = data["points"].with_columns(positions).filter(pl.col("area_code").is_in(chosen))
    uip.table(points.select(pl.col("area_name").alias("Area"), uip.num("value").alias("Value"),
                            uip.num("count").alias("Count"), uip.num("denominator").alias("Denominator"),
                            pl.col("funnel_position").alias("Position against the limits")))


# --- compare areas ----------------------------------------------------------------------------
def compare_view(store: Store, sel: opts.ProfileState, frame: pl.DataFrame) -> None:
    st.subheader("Compare areas side by side", anchor=False)
    names = profile_areas.names(store)
    uip.multi("c", f"Areas compared with {uip.md(_name(store, sel.code, sel))} (up to 9)", sel.choices["c"],
              lambda c: names.get(c, c), max_selections=9,
              help="Starts with the four most similar areas; type a name to add another.")
    table = profile_peers.compare_table(store, sel.compare, sel.area_type, sel.topic, frame)
    st.caption("Each cell: the value in the same period as the first area, and how it compares with England. "
               "An empty cell means the area holds no figure for that indicator and period under its current "
               "code (sub-ICB locations created in July 2022 have no GP-recorded figures of their own).")
    uip.table(table)
    if not sel.choices.get("ci"):
        return
    st.markdown("**Over time**")
    labels = _row_labels(frame)
    uip.select("ci", "Indicator", sel.choices["ci"], lambda r: labels.get(r, r))
    row = _row(frame, sel.compare_row)
    if row is None:
        return
    series, england = profile_peers.compare_series(store, sel.compare, row)
    if series.is_empty():
        st.info("None of these areas has a series for this indicator.", icon=":material/info:")
        return
    fig = charts.trend_figure(series, _indicator(store, row), benchmark=england if england.height else None,
                              trend_label=row.get("trend"))
    uip.chart(fig, "profile-compare-trend", uip.file_stem(_name(store, sel.code, sel), row["row_id"], "over-time"))
    uip.table(profile_peers.series_table(series, england))


VIEWS = {"attention": attention_view, "peers": peers_view, "funnel": funnel_view, "compare": compare_view}
