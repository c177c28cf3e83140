"""Trends: SPC charts (NHS "Making Data Count"), seasonal forecasts and the seasonal pattern of
every monthly or weekly series, all from the URL (i, a, c, v, cp, h)."""

import streamlit as st

from explorer import ui, ui_trends

store = ui.store_or_stop()
sel = ui_trends.selection(store)
st.title("Trends: real change, seasons and forecasts")
st.caption("For monthly and weekly series such as A&E, waiting lists, GP appointments, prescribing and "
           "deaths. The SPC chart shows whether a change is more than everyday variation; the forecast "
           "shows what the next months may bring; the seasonal pattern compares this year with earlier "
           "ones. The address bar keeps your choices, so you can bookmark or share this view.")
ui.notice(sel.state.notices)
ui_trends.selectors(sel)
result = None
if sel.frame.is_empty():
    st.info("This area has no values for this indicator and breakdown.", icon=":material/info:")
elif sel.view == "forecast":
    result = ui_trends.forecast_block(sel)
elif sel.view == "seasonal":
    ui_trends.seasonal_block(store, sel)
else:
    ui_trends.spc_block(sel)
if not sel.frame.is_empty():
    ui_trends.download_block(sel, result)  # the whole series with limits and flags, plus any forecast
ui.source_footer(store, sel.indicator_id)
ui.footer()
