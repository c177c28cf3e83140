"""Explore: one indicator across areas: map, ranked chart, trend and table, all from the URL."""

import streamlit as st

from explorer import ui, ui_explore

store = ui.store_or_stop()
sel = ui_explore.selection(store)
st.title("Explore an indicator")
st.caption("Choose an indicator and a kind of area. The map, the areas compared, the trend and the table "
           "below (a tab each) all follow your choices, and the address bar keeps them, so you can bookmark "
           "or share this view.")
ui.notice(sel.notices)
ui_explore.selectors(sel)
ui_explore.results(store, sel)
ui.footer()
