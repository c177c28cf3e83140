"""Indicators: search every indicator in plain words, filter by topic, producer, area type and the
years covered; each result opens its definition page or Explore."""

import streamlit as st

from explorer import ui
from explorer import ui_catalogue as uc
from explorer.queries import catalogue as q
from explorer.state import Param, UrlState

QUERY = Param("q", "search words", "Words in the indicator's title, definition or synonyms.", default="")
TOPICS = Param("t", "topics", "Only indicators in these topics.", many=True, max_items=20)
PRODUCERS = Param("pr", "producers", "Only indicators these organisations publish.", many=True)
AREA_TYPES = Param("at", "area types", "Only indicators published for these kinds of area.", many=True,
                   max_items=12)
YEAR_FROM = Param("from", "first year", "Only indicators with data in or after this year.")
YEAR_TO = Param("to", "last year", "Only indicators with data in or before this year.")

store = ui.store_or_stop()
options = q.filter_options(store)
raw = st.query_params.to_dict()
if "q" in raw:
    raw["q"] = q.clean_query(raw["q"])
state = UrlState(raw)
query = state.pick(QUERY)
topics = state.pick(TOPICS, choices=list(options["topics"]))
producers = state.pick(PRODUCERS, choices=options["producers"])
area_types = state.pick(AREA_TYPES, choices=list(options["area_types"]))
years = options["years"]
year_from = state.pick(YEAR_FROM, choices=years)
year_to = state.pick(YEAR_TO, choices=years)
if year_from and year_to and year_from > year_to:
    state.notices.append("The first year in the link was after the last year; the two were swapped.")
    year_from, year_to = year_to, year_from

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
    what = f"matching “{ui.text(query)}”" if query else "in the catalogue"
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
