"""Home: what this is and who it is for, a search box, topics as ways in, the newest data."""

import streamlit as st

from explorer import queries, releases, ui
from explorer.queries import home, page_state
from explorer.ui_explore import md, page_link


def _searched() -> None:
    words = (st.session_state.get("home_q") or "").strip()
    if words:
        st.query_params["q"] = words
    else:
        st.query_params.pop("q", None)


store = ui.store_or_stop()
state, query = page_state.home_state(st.query_params.to_dict())
st.query_params.from_dict(state.query())
st.session_state["home_q"] = query

st.title("Health statistics for England")
ui.notice(state.notices)
st.markdown(
    "One place for England's health statistics, whichever organisation publishes them: ONS, OHID "
    "(Fingertips), NHS Digital, NHS England, MHCLG, NHSBSA and the House of Commons Library. Every "
    "indicator has one definition, one set of area codes and one way of comparing areas, with "
    "confidence intervals and significance worked out the way Fingertips does.\n\n"
    "**For** anyone who wants to know how their area compares, people comparing ICBs, CCGs and "
    "councils with England and with each other, and journalists who need exact figures with their "
    "sources.")

summary = queries.store_summary(store)
cols = st.columns(4)
cols[0].metric("Indicators", summary["indicators"])
cols[1].metric("Producers", summary["producers"])
cols[2].metric("Values", f"{summary['values']:,}")
cols[3].metric("Kinds of area", summary["area_types"])

st.subheader("Find an indicator", anchor=False)
st.text_input("Search indicators", key="home_q", on_change=_searched,
              placeholder="e.g. diabetes, smoking, A&E waits, life expectancy",
              help="Plain words work: ‘fat’ finds obesity, ‘sugar’ finds diabetes.")
if query:
    results = home.search_results(store, query)
    if not results:
        st.write(f"Nothing matches “{ui.plain(query)}”. Try a broader word, or browse the topics below.")
    for row in results:
        producers = ", ".join(row["producers"] or [])
        with st.container(horizontal=True, vertical_alignment="center"):
            page_link(f"**{md(row['title'])}**", "pages/explore.py", {"i": row["indicator_id"]})
            st.caption(f"{md(producers)} · latest {md(row['latest_period'])}")
            page_link("definition", "pages/indicator.py", {"i": row["indicator_id"]})

st.subheader("Browse by topic", anchor=False)
cards = home.topic_cards(store)
for start in range(0, len(cards), 3):
    for column, card in zip(st.columns(3), cards[start:start + 3], strict=False):
        with column.container(border=True):
            page_link(f"**{md(card['title'])}**", "pages/explore.py", {"t": card["id"]},
                      icon=":material/arrow_forward:")
            st.caption(md(card["description"]))
            st.caption(f"{card['indicators']} indicator{'s' if card['indicators'] != 1 else ''}, e.g. "
                       + md(", ".join(card["examples"])))

st.subheader("Newest data", anchor=False)
latest = home.latest_releases(store)
for row in latest.iter_rows(named=True):
    released = row["released_text"]
    when = "release date not stated" if released == releases.NOT_STATED else f"released {released}"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"**{md(row['title'])}** ({md(row['producer'])}): latest period "
                    f"{md(row['latest_period'])}, {md(when)}")
        if row["indicator_id"]:
            page_link(f"Explore {md(row['indicator'])}", "pages/explore.py", {"i": row["indicator_id"]},
                      icon=":material/map:")
with st.container(horizontal=True):
    page_link("Every dataset, its release dates and revisions", "pages/releases.py", {})
    page_link("How the figures are harmonised and compared", "pages/about.py", {})
ui.footer()
