"""Producers: what each organisation contributes: indicators, area types, periods and datasets."""

import datetime as dt

import streamlit as st

from explorer import releases, ui
from explorer import ui_catalogue as uc
from explorer.queries import page_state
from explorer.queries import producers as q
from explorer.queries.page_state import PRODUCER

store = ui.store_or_stop()
overview = q.producers_overview(store)
producers = overview["Producer"].to_list()
state, producer = page_state.producer_state(st.query_params.to_dict(), producers)

st.title("Producers")
st.write("The organisations whose statistics are held here, and what each contributes. Where two publish "
         "the same measure, " + uc.link("the coherence page", "/coherence") + " sets their figures side by side.")
ui.notice(state.notices)
st.dataframe(overview, hide_index=True, column_config={
    "From": st.column_config.DateColumn("Earliest data", format="MMM YYYY"),
    "To": st.column_config.DateColumn("Latest data", format="MMM YYYY"),
    "Values": st.column_config.NumberColumn("Values held", format="localized")})
st.caption("Counts leave out our re-estimates on current boundaries; England and regional totals we summed are "
           "counted under the producer whose figures were summed.")

uc.bind("prod_pr", producer)
producer = st.selectbox("Show what one producer publishes", producers, key="prod_pr", index=None,
                        placeholder="Choose a producer")
uc.chosen("prod_pr", producer)
state.set(PRODUCER.key, producer)
uc.write_url(state)

if producer:
    st.header(ui.text(producer), anchor=False)
    uc.page_link("catalogue", f"Search {producer}'s indicators", {"pr": producer}, icon=":material/search:")
    st.subheader("Indicators", anchor=False)
    st.dataframe(q.producer_indicators(store, producer), hide_index=True,
                 column_config={"Details": st.column_config.LinkColumn("Definition", display_text="Definition")})
    st.subheader("Datasets", anchor=False)
    st.dataframe(releases.producer_datasets(store, producer, dt.date.today()), hide_index=True)
    uc.page_link("releases", "Full release calendar and revisions", icon=":material/event:")
ui.footer()
