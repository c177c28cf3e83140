"""Home: what this is, topics as entry points, search, latest releases."""

import streamlit as st

from explorer import queries, ui

store = ui.store_or_stop()
st.title("Health statistics for England")
st.write("One place for England's health statistics, whichever organisation publishes them: "
         "ONS, OHID (Fingertips), NHS Digital, NHS England, MHCLG and NHSBSA. Every indicator has "
         "one definition, one set of area codes and one way of comparing areas.")
summary = queries.store_summary(store)
cols = st.columns(4)
cols[0].metric("Indicators", summary["indicators"])
cols[1].metric("Producers", summary["producers"])
cols[2].metric("Values", f"{summary['values']:,}")
cols[3].metric("Area types", summary["area_types"])
st.subheader("Topics")
st.dataframe(queries.topic_overview(store), hide_index=True, use_container_width=True)
ui.footer()
