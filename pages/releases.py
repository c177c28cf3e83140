"""Release calendar: per source, the latest period published and when, the next release to expect,
and what changed between releases (revised values, old and new)."""

import datetime as dt

import streamlit as st

from explorer import releases, ui
from explorer import ui_catalogue as uc
from explorer.export import flat
from explorer.queries import page_state
from explorer.queries.page_state import RELEASE_INDICATOR as INDICATOR
from explorer.queries.page_state import RELEASE_PERIOD as PERIOD
from explorer.queries.page_state import RELEASE_SOURCE as SOURCE

store = ui.store_or_stop()
today = dt.date.today()
summary = releases.revision_summary(store)
sources = releases.sources_with_revisions(summary)
link = page_state.releases_state(st.query_params.to_dict(), sources,
                                 lambda s: releases.revised_periods(summary, s),
                                 lambda s, p: releases.revised_indicators(store, s, p))
state = link.state

st.title("Release calendar")
st.write("When each dataset was last published, when the next release is due, and which published "
         "figures were changed by a later release.")

st.subheader("Latest and next releases", anchor=False)
calendar = releases.calendar_table(store, today)
st.dataframe(calendar, hide_index=True, height=36 * (calendar.height + 1) + 4, column_config={
    "Dataset": st.column_config.TextColumn(width="large"),
    "How the next date was worked out": st.column_config.TextColumn(width="large")})
st.caption(f"“Newer release probably out” means the expected date has passed (today is {today:%d %B %Y}) and this "
           "store does not hold a later release yet. Where the producer states no release date, the next date is "
           "an estimate from the end of the latest period plus a usual publication lag; it says so.")

st.subheader("What changed between releases", anchor=False)
if not sources:
    ui.notice(state.notices)
    st.write("No published value has been revised by a later release in the datasets held.")
    ui.footer()
    st.stop()
st.write("Some producers publish a year's figures again in the next release (QOF workbooks carry the "
         "previous year alongside the new one). Where a value changed, both are kept: the later one is shown "
         "everywhere else and marked “revised”; the earlier one is listed here.")
st.dataframe(releases.summary_table(summary), hide_index=True)

source_id, period, indicator_id = link.source_id, link.period, link.indicator_id
ui.notice(state.notices)

names = releases.source_metadata()
cols = st.columns([1, 1, 2])
uc.bind("rel_s", source_id)
source_id = cols[0].selectbox("Dataset", sources, key="rel_s", format_func=lambda s: names.get(s, {}).get("title", s))
uc.chosen("rel_s", source_id)
periods = releases.revised_periods(summary, source_id)
if period not in periods:
    period = periods[0]
uc.bind("rel_per", period)
period = cols[1].selectbox("Period revised", periods, key="rel_per")
uc.chosen("rel_per", period)
indicators = releases.revised_indicators(store, source_id, period)
if indicator_id not in indicators:
    indicator_id = None
uc.bind("rel_i", indicator_id)
indicator_id = cols[2].selectbox("Indicator", list(indicators), format_func=indicators.get, key="rel_i", index=None,
                                 placeholder="All indicators")
uc.chosen("rel_i", indicator_id)
for param, value, default in ((SOURCE, source_id, sources[0]), (PERIOD, period, periods[0]),
                              (INDICATOR, indicator_id, None)):
    state.set(param.key, None if value == default else value)
uc.write_url(state)

detail = releases.revisions_detail(store, source_id, period, indicator_id)
st.markdown(f"**{detail.height:,} revised values** for {ui.text(period)}, largest change first. "
            "Values are in the indicator's unit (percentage points for prevalence).")
st.dataframe(detail.head(500), hide_index=True)
if detail.height > 500:
    st.caption(f"The first 500 of {detail.height:,} are shown; the download has them all.")
st.download_button("Download these revisions (CSV)", flat.csv_bytes(detail),
                   file_name=f"revisions-{source_id}-{period.replace('/', '-')}.csv", mime="text/csv")
ui.footer()
