"""Download: build a filter, check the live row count and preview, download the exact rows in
the format you use, with definitions, sources, licence, citation and a link back attached."""

import streamlit as st

from explorer import export, schema, search, ui
from explorer import ui_download as ud
from explorer.queries import download as dq
from explorer.queries import download_url as du

store = ui.store_or_stop()
notices = ud.sync_from_url(store)
catalogue = store.indicators()
titles = dict(zip(catalogue["indicator_id"], catalogue["title"], strict=True))
topics = ud.topic_titles()

st.title("Download data")
st.write("Choose indicators, areas and periods, check the preview, then download exactly those rows. "
         "Every file carries the indicators' definitions, the producer and source of each row, the "
         "licence, a citation and a link that reopens this selection.")
ui.notice(notices)

# 1. Indicators -------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("1. Indicators")
    words, topic_col, producer_col = st.columns([2, 1, 1])
    words.text_input("Find indicators", key=ud.K["query"], placeholder="e.g. diabetes, A&E waits, smoking")
    ud.keep_valid("topic", [ud.ALL, *topics])
    topic_col.selectbox("Topic", [ud.ALL, *topics], key=ud.K["topic"],
                        format_func=lambda t: topics.get(t, "All topics"))
    all_producers = sorted({p for ps in catalogue["producers"].to_list() for p in ps})
    ud.keep_valid("producers", all_producers, many=True)
    producer_col.multiselect("Producer", all_producers, key=ud.K["producers"], placeholder="All producers",
                             help="Lists only these producers' indicators and keeps only their rows.")
    found = search.search(catalogue, st.session_state[ud.K["query"]], limit=None,
                          topic=st.session_state[ud.K["topic"]] or None,
                          producer=st.session_state[ud.K["producers"]] or None)["indicator_id"].to_list()
    chosen = [i for i in st.session_state.get(ud.K["indicators"]) or [] if i in titles]
    options = chosen + [i for i in found if i not in chosen]
    ud.keep_valid("indicators", options, many=True)
    st.multiselect(f"Indicators ({len(found)} match)", options, key=ud.K["indicators"],
                   format_func=titles.get, max_selections=dq.P_INDICATORS.max_items,
                   placeholder="Choose one or more indicators")

indicators = st.session_state[ud.K["indicators"]]
offer = dq.choices(store, indicators)

# 2. Areas ------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("2. Areas")
    type_col, area_col = st.columns([1, 2])
    ud.keep_valid("area_type", [ud.ALL, *offer.area_types])
    type_col.selectbox("Area type", [ud.ALL, *offer.area_types], key=ud.K["area_type"],
                       format_func=lambda t: schema.AREA_TYPES.get(t, t) if t else "All area types")
    area_type = st.session_state[ud.K["area_type"]] or None
    scoped = dq.choices(store, indicators, area_type)
    ud.keep_valid("areas", list(scoped.areas), many=True)
    area_col.multiselect("Areas", list(scoped.areas), key=ud.K["areas"], disabled=area_type is None,
                         format_func=lambda c: f"{scoped.areas.get(c, c)} ({c})",
                         placeholder="All areas of this type" if area_type else "Choose an area type first")

# 3. Periods and breakdowns -------------------------------------------------------------------
with st.container(border=True):
    st.subheader("3. Periods and breakdowns")
    ud.period_range(scoped.periods)
    from_col, to_col = st.columns(2)
    from_col.selectbox("From", scoped.periods, key=ud.K["from"], disabled=not scoped.periods,
                       help="Earliest period included (periods are matched by their dates, so a "
                            "financial year counts as inside a range of months only if it fits).")
    to_col.selectbox("To", scoped.periods, key=ud.K["to"], disabled=not scoped.periods,
                     help="Latest period included.")
    period_from, period_to = ud.period_filter(scoped.periods)
    cols = st.columns(4)
    for col, name, label, values in ((cols[0], "sexes", "Sex", scoped.sexes),
                                     (cols[1], "ages", "Age", scoped.ages),
                                     (cols[2], "categories", "Breakdown", scoped.categories),
                                     (cols[3], "statuses", "Status", scoped.statuses)):
        ud.keep_valid(name, values, many=True)
        col.multiselect(label, values, key=ud.K[name], placeholder="All", disabled=not values)

# 4. Columns ----------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("4. Columns")
    st.pills("Optional columns", list(dq.COLUMN_GROUPS), key=ud.K["columns"], selection_mode="multi",
             format_func=lambda c: dq.COLUMN_GROUPS[c][0])
    st.caption("Always included: indicator, unit, area code, name and type, period with its start and end "
               "dates, sex, age, breakdown, status, note, producer and source.")

page = du.PageState(
    dq.Filter(indicators=indicators, area_type=area_type, areas=st.session_state[ud.K["areas"]],
              period_from=period_from, period_to=period_to, sexes=st.session_state[ud.K["sexes"]],
              ages=st.session_state[ud.K["ages"]], categories=st.session_state[ud.K["categories"]],
              statuses=st.session_state[ud.K["statuses"]], producers=st.session_state[ud.K["producers"]],
              columns=st.session_state[ud.K["columns"]] or ()),
    query=st.session_state[ud.K["query"]], topic=st.session_state[ud.K["topic"]] or None,
    fmt=st.session_state.get(ud.K["fmt"]) or "zip")
f = page.filter

# Result --------------------------------------------------------------------------------------
st.subheader("Your download")
if not indicators:
    st.info("Choose at least one indicator to see how many rows match and a preview. For example: "
            "[diabetes prevalence by CCG, 2019/20](/download?i=diabetes-recorded-prevalence&at=ccg&from=2019%2F20"
            "&to=2019%2F20) or [A&E attendances by ICB](/download?i=ae-attendances&at=icb).",
            icon=":material/filter_alt:")
else:
    n_rows = dq.row_count(store, f)
    ud.keep_valid("fmt", list(export.FORMATS), default="zip")
    st.radio("Format", list(export.FORMATS), key=ud.K["fmt"], horizontal=True,
             format_func=lambda k: export.FORMATS[k].label,
             help="Zip: data.csv with metadata.json and README.txt. Excel: cover, notes, definitions, "
                  "sources and data sheets. Fingertips-style CSV: the column layout of a Fingertips "
                  "export, for scripts written against Fingertips.")
    page.fmt = st.session_state[ud.K["fmt"]]
    st.markdown(f"**{n_rows:,} rows** match this selection. The preview shows the first "
                f"{min(n_rows, 100):,}.")
    ud.preview(store, f, page.fmt)
    ud.download_buttons(store, f, page.fmt, n_rows)
    with st.expander("Link to this selection and the command line"):
        st.write("This link reopens this selection (share it, or keep it with your story):")
        st.code(export.metadata.link(f, page.fmt, ud.base_url()), language=None)
        st.write("The same file from the command line (no size limit; see README, "
                 "'Download and data API'):")
        st.code(dq.cli_command(f, page.fmt), language="bash")

ud.write_url(page)
ui.footer()
