"""Indicators: search every indicator in plain words, filter by topic, producer, area type and the
years covered; each result opens its definition page or Explore."""

import streamlit as st

from explorer import ui
from explorer import ui_catalogue as uc
from explorer.queries import catalogue as q
from explorer.queries import page_state
from explorer.queries.page_state import CAT_AREA_TYPES as AREA_TYPES
from explorer.queries.page_state import CAT_PRODUCERS as PRODUCERS
from explorer.queries.page_state import CAT_QUERY as QUERY
from explorer.queries.page_state import CAT_TOPICS as TOPICS
from explorer.queries.page_state import CAT_YEAR_FROM as YEAR_FROM
from explorer.queries.page_state import CAT_YEAR_TO as YEAR_TO

store = ui.store_or_stop()
options = q.filter_options(store)
link = page_state.catalogue_state(st.query_params.to_dict(), options)
state, query, topics, producers = link.state, link.query, link.topics, link.producers
area_types, year_from, year_to = link.area_types, link.year_from, link.year_to
years = options["years"]

st.title("Indicators")
st.write("Search every indicator, whichever organisation publishes it. Plain words work: "
         "*fat* finds obesity, *sugar* finds diabetes, *A&E* finds emergency department attendances.")
ui.notice(state.notices)

uc.bind("cat_q", query)
query = q.clean_query(st.text_input("Search indicators", key="cat_q", placeholder="e.g. smoking, COPD, waiting times",
                                    help=QUERY.help))
uc.chosen("cat_q", query)
cols = st.columns([1, 1, 1, 1.2])
uc.bind("cat_t", topics)
topics = cols[0].multiselect("Topic", list(options["topics"]), format_func=options["topics"].get, key="cat_t",
                             placeholder="All topics", help=TOPICS.help)
uc.bind("cat_pr", producers)
producers = cols[1].multiselect("Producer", options["producers"], key="cat_pr", placeholder="All producers",
                                help=PRODUCERS.help)
uc.bind("cat_at", area_types)
area_types = cols[2].multiselect("Area type", list(options["area_types"]), format_func=options["area_types"].get,
                                 key="cat_at", placeholder="All area types", help=AREA_TYPES.help)
if years:
    # No key: a range slider's mode comes from `value`, which a keyed widget set through session
    # state would lose; the widget is rebuilt whenever the URL's range changes.
    picked = cols[3].select_slider("Has data between", options=years,
                                   value=(year_from or years[0], year_to or years[-1]),
                                   help="Only indicators with at least one period in these years.")
    year_from = picked[0] if picked[0] != years[0] else None
    year_to = picked[1] if picked[1] != years[-1] else None
for key, value in (("cat_t", topics), ("cat_pr", producers), ("cat_at", area_types)):
    uc.chosen(key, value)
for param, value in ((QUERY, query), (TOPICS, topics), (PRODUCERS, producers), (AREA_TYPES, area_types),
                     (YEAR_FROM, year_from), (YEAR_TO, year_to)):
    state.set(param.key, value)
uc.write_url(state)

found = q.find_indicators(store, query, topics, producers, area_types, year_from, year_to)
total = store.indicators().height
if found.is_empty():
    st.warning("No indicator matches. Try fewer words or remove a filter.", icon=":material/search_off:")
else:
    what = f"matching “{ui.plain(query)}”" if query else "in the catalogue"
    shown = "" if found.height == total else f" of {total}"
    st.markdown(f"**{found.height}{shown} indicators** {what}" + (", best match first." if query else "."))
    list_tab, table_tab = st.tabs(["List", "Table"])
    with table_tab:
        st.dataframe(q.results_table(found), hide_index=True,
                     column_config={"Details": st.column_config.LinkColumn("Definition", display_text="Definition"),
                                    "Explore": st.column_config.LinkColumn("Explore", display_text="Explore")})
    with list_tab:
        for row in found.iter_rows(named=True):
            with st.container(border=True):
                uc.page_link("indicator", f"**{row['title']}**", {"i": row["indicator_id"]},
                             icon=":material/description:")
                facts = [f"By {ui.text(', '.join(row['producers'] or []))}",
                         f"latest period {ui.text(row['latest_period'])}",
                         "for " + ui.text(q.area_types_text(row["area_types"]))]
                if row["matched"]:
                    facts.append(f"matched on {ui.text(row['matched'])}")
                st.caption(" · ".join(facts))
                uc.page_link("explore", "Explore the data", {"i": row["indicator_id"]}, icon=":material/map:")
ui.footer()
