"""Coherence: every measure published by more than one producer (or in two datasets), side by
side where both cover the same areas and periods, with the differences and the reasons; and the
"similar name, different measure" pairs."""

import streamlit as st

from explorer import coherence, coherence_chart, coherence_tables, ui, ui_plotly
from explorer import ui_catalogue as uc
from explorer.export import flat
from explorer.queries import catalogue as q
from explorer.queries import page_state
from explorer.queries.page_state import COHERENCE_MEASURE as INDICATOR
from explorer.queries.page_state import COHERENCE_PERIOD as PERIOD

REASON_TITLES = {"definition": "Definition", "population base": "Population base", "period": "Period",
                 "rounding": "Rounding", "modelling": "Modelling", "geography": "Areas and boundaries"}

store = ui.store_or_stop()
overlaps = coherence.overlapping_indicators(store)
titles = q.indicator_choices(store)
state, indicator_id = page_state.coherence_state(st.query_params.to_dict(), overlaps)

st.title("Same measure, different producers")
st.write("Some measures are published by more than one organisation, or by one organisation in two "
         "datasets. Here they are set side by side for the areas and periods both cover, with how far "
         "they differ and why.")
ui.notice(state.notices)

uc.bind("coh_i", indicator_id)
indicator_id = st.selectbox("Measure", overlaps, format_func=titles.get, key="coh_i", index=None,
                            placeholder="Choose a measure to compare (or see all of them below)")
uc.chosen("coh_i", indicator_id)
state.set(INDICATOR.key, indicator_id)

comp = coherence.compare(store, indicator_id) if indicator_id else None
pair = None
shown_notices = len(state.notices)
periods = [a for a, _ in comp.pairs] if comp is not None else None
chosen_period = page_state.coherence_period(state, st.query_params.to_dict(), periods)
if periods and len(periods) > 1:
    uc.bind("coh_p", chosen_period or periods[0])
    chosen_period = st.selectbox("Period", periods, key="coh_p")
    uc.chosen("coh_p", chosen_period)
    state.set(PERIOD.key, None if chosen_period == periods[0] else chosen_period)
    pair = comp.pairs[periods.index(chosen_period)]
ui.notice(state.notices[shown_notices:])
uc.write_url(state)

if comp is not None:
    row = store.indicator(indicator_id)
    la = coherence.publisher_label(comp.a, comp.b, comp.a)
    lb = coherence.publisher_label(comp.a, comp.b, comp.b)
    st.header(ui.text(comp.title), anchor=False)
    st.markdown(f"**{ui.text(la)}** ({ui.text(comp.a.span)}) and **{ui.text(lb)}** ({ui.text(comp.b.span)})")
    cols = st.columns(3)
    uc.page_link("indicator", "Definition", {"i": indicator_id}, icon=":material/description:", where=cols[0])
    uc.page_link("explore", "Explore the data", {"i": indicator_id}, icon=":material/map:", where=cols[1])
    for note in comp.notes:
        st.markdown(f"- {ui.text(note)}")
    rows = comp.for_pair(pair)
    if not rows.is_empty():
        s = comp.summary(pair)
        unit = uc.difference_unit(row.get("unit"))
        cols = st.columns(4)
        cols[0].metric("Compared", f"{s['areas']:,} area" + ("s" if s["areas"] != 1 else ""),
                       help=f"{s['comparisons']:,} pairs of values (areas × breakdowns)")
        cols[1].metric("Average difference", f"{uc.number(s['mean_difference'])} {unit}".strip(),
                       help=f"{lb} minus {la}, averaged over the areas compared; the average size of the "
                            f"difference, ignoring its direction, is {uc.number(s['mean_abs_difference'])} {unit}.")
        cols[2].metric("Largest difference", f"{uc.number(s['max_abs_difference'])} {unit}".strip(),
                       help=f"In {s['max_area']}")
        cols[3].metric("Beyond their intervals", uc.percent(s["share_beyond"]) if s["with_intervals"]
                       else "no intervals",
                       help="Share of comparisons where the two 95% confidence intervals do not overlap. "
                            "Left blank where either value has no interval.")
        ui_plotly.plot(coherence_chart.agreement_figure(rows, row, la, lb), key="coherence-agreement",
                       config={"displaylogo": False})
        table = coherence_tables.comparison_table(rows, la, lb)
        st.dataframe(table, hide_index=True)
        st.download_button("Download this comparison (CSV)", flat.csv_bytes(table),
                           file_name=f"coherence-{indicator_id}.csv", mime="text/csv")
    st.subheader("Why the figures differ", anchor=False)
    if comp.reasons:
        st.table({"": [REASON_TITLES.get(k, k) for k in comp.reasons],
                  "Explanation": [ui.text(v) for v in comp.reasons.values()]})
    else:
        st.write("No explanation has been recorded for this measure yet.")

st.subheader("All measures with more than one producer", anchor=False)
overview = coherence_tables.overview_table(store)
st.dataframe(overview, hide_index=True, height=36 * (overview.height + 1) + 4,
             column_config={"Compare": st.column_config.LinkColumn("Compare", display_text="Compare")})
st.caption("Differences are the second producer's value minus the first's, averaged over the areas compared. "
           "“Beyond intervals” is the share of comparisons whose 95% confidence intervals do not overlap; "
           "it is left blank where intervals are missing rather than guessed.")

st.subheader("Similar name, different measure", anchor=False)
st.write("These measures sound alike but count different things; do not compare them as if they were the same.")
pairs = coherence_tables.not_same_as_table(store)
for pair in pairs.iter_rows(named=True):
    st.markdown(f"- **{ui.text(pair['Measure'])}** is not the same as **{ui.text(pair['Is not the same as'])}**: "
                f"{ui.text(pair['Because the other is'])}")
with st.expander("The same pairs as a table, with links to their definitions"):
    st.dataframe(pairs, hide_index=True,
                 column_config={"Link": st.column_config.LinkColumn("Definition", display_text="Definition"),
                                "Other link": st.column_config.LinkColumn("Other definition",
                                                                          display_text="Definition")})
ui.footer()
