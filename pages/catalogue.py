"""Indicators: the catalogue, one row per indicator, with producers and coverage."""

import streamlit as st

from explorer import queries, ui

store = ui.store_or_stop()
st.title("Indicators")
st.caption("Every indicator held, whichever organisation produced it.")
st.dataframe(queries.catalogue_table(store), hide_index=True, use_container_width=True)
ui.footer()
