"""Explore: one indicator across areas: map, ranked chart, trend and table, all from the URL."""

import streamlit as st

from explorer import ui, ui_explore
from explorer.queries.explore import explore

store = ui.store_or_stop()
sel = ui_explore.selection(store)
st.title("Explore an indicator")
st.caption("Choose an indicator and a kind of area. The map, chart, trend and table below all follow "
           "your choices, and the address bar keeps them, so you can bookmark or share this view.")
ui.notice(sel.notices)
ui_explore.selectors(sel)
data = explore(store, sel)
ui_explore.summary_block(sel, data)
ui_explore.area_picker(sel)
left, right = st.columns(2, gap="large")
with left:
    st.markdown("#### Map")
    ui_explore.map_block(store, sel, data)
with right:
    st.markdown("#### Trend over time")
    ui_explore.trend_block(store, sel, data)
st.markdown("#### Compare areas")
ui_explore.compare_block(store, sel, data)
st.markdown("#### Table")
ui_explore.table_block(store, sel, data)
ui.footer()
