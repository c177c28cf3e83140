"""Indicator: one measure's definition, method, producers and datasets, coverage, Fingertips
cross-reference, "not the same as" pairs, breaks in series and related indicators."""

import streamlit as st

from explorer import coherence, ui
from explorer import ui_catalogue as uc
from explorer.queries import catalogue as q
from explorer.queries import indicator_detail as qd
from explorer.queries import page_state
from explorer.queries.page_state import INDICATOR

POLARITY_WORDS = {"high is good": "Higher is better", "low is good": "Lower is better",
                  "no judgement": "Neither higher nor lower is better (no judgement)"}

store = ui.store_or_stop()
choices = q.indicator_choices(store)
state, indicator_id = page_state.indicator_state(st.query_params.to_dict(), list(choices))

ui.notice(state.notices)
uc.bind("ind_i", indicator_id)
indicator_id = st.selectbox("Indicator", list(choices), format_func=choices.get, key="ind_i", index=None,
                            placeholder="Choose or type an indicator name")
uc.chosen("ind_i", indicator_id)
state.set(INDICATOR.key, indicator_id)
uc.write_url(state)

if not indicator_id:
    st.title("Indicator definitions")
    st.write("Choose an indicator above, or [search the catalogue](/indicators) in plain words.")
    ui.footer()
    st.stop()

detail = qd.indicator_detail(store, indicator_id)
row = detail["row"]
st.title(ui.plain(row["title"]), anchor=False)
cols = st.columns(3)
uc.page_link("explore", "Explore the data", {"i": indicator_id}, icon=":material/map:", where=cols[0])
if indicator_id in coherence.overlapping_indicators(store):
    uc.page_link("coherence", "Compare the producers' figures", {"i": indicator_id},
                 icon=":material/compare_arrows:", where=cols[1])
uc.page_link("catalogue", "Other indicators on this topic", {"t": row["topic"]}, icon=":material/search:",
             where=cols[2])
st.caption(f"Topic: {ui.plain(detail['topic_title'])} · Published by {ui.plain(', '.join(row['producers'] or []))}"
           f" · Identifier `{indicator_id}`")

st.subheader("What it measures", anchor=False)
st.write(ui.plain(row["definition"]))
if row.get("rationale"):
    st.markdown(f"**Why it matters.** {ui.plain(' '.join(str(row['rationale']).split()))}")
if row.get("method"):
    st.markdown(f"**How it is calculated.** {ui.plain(' '.join(str(row['method']).split()))}")
if row.get("caveats"):
    st.warning(f"**Caveats.** {ui.plain(' '.join(str(row['caveats']).split()))}", icon=":material/warning:")

st.subheader("Key facts", anchor=False)
methods = "; ".join(f"{m['producer']}: {m['method']}" for m in detail["interval_methods"]) or "—"
facts = {
    "Unit": row["unit"],
    "Value type": row["value_type"],
    "Polarity": POLARITY_WORDS.get(row["polarity"], row["polarity"]),
    "Confidence intervals": methods,
    "Small numbers suppressed": "Yes" if row.get("disclosure_control") else "No",
    "Licence": row.get("licence") or "—",
    "Periods held": f"{len(detail['periods'])} ({row['first_period']} to {row['latest_period']})",
}
if row.get("target") is not None:
    facts["Target"] = f"{row['target']:g}"
st.table({"": list(facts), "Value": list(facts.values())})

st.subheader("Producers and source datasets", anchor=False)
st.dataframe(qd.datasets_table(detail), hide_index=True,
             column_config={"Dataset": st.column_config.TextColumn(width="medium")})
st.caption(uc.link("Release calendar and revisions", "/releases") + " · "
           + uc.link("What each producer publishes", "/producers"))

st.subheader("Periods and area types available", anchor=False)
st.dataframe(qd.coverage_table(detail), hide_index=True)
notes = []
if detail["aggregated"]:
    notes.append(f"{detail['aggregated']:,} England or regional totals were summed by us where the "
                 "producer gives none.")
if detail["re_estimated"]:
    notes.append(f"{detail['re_estimated']:,} values are our re-estimates on current boundaries (shown in Explore).")
if detail["revisions"]:
    notes.append(f"{detail['revisions']:,} values were revised by a later release ("
                 + uc.link("see what changed", "/releases") + ").")
for note in notes:
    st.caption(note)

st.subheader("Fingertips cross-reference", anchor=False)
if not detail["fingertips"]:
    st.write("No Fingertips indicator ID is recorded for this measure.")
for link in detail["fingertips"]:
    meta = link["meta"]
    where = "" if link["source_id"] == "catalogue" else f" (recorded by source {ui.plain(link['source_id'])})"
    if meta is None:
        st.markdown(f"Fingertips ID **{ui.plain(link['fingertips_id'])}**{where}. FingertipsNext's metadata copy "
                    "does not describe this ID.")
        continue
    st.markdown(f"Fingertips ID **{ui.plain(link['fingertips_id'])}**{where}: *{ui.plain(meta['title'])}*.")
    compare = {"Unit": meta.get("unit"), "Value type": meta.get("value_type"),
               "Polarity": meta.get("fingertips_polarity"), "Data source": meta.get("data_source"),
               "Frequency": meta.get("frequency")}
    st.caption(" · ".join(f"{k}: {ui.plain(v)}" for k, v in compare.items() if v))
    if meta.get("polarity") and meta["polarity"] != row["polarity"]:
        st.caption(f"Fingertips states the polarity as “{ui.plain(meta['fingertips_polarity'])}”; this catalogue "
                   f"uses “{ui.plain(row['polarity'])}”.")
    if meta.get("definition"):
        with st.expander("Fingertips definition"):
            st.write(ui.plain(meta["definition"]))

st.subheader("Not the same as", anchor=False)
pairs = detail["not_same_as"]
if pairs.is_empty():
    st.write("No similarly named measure is recorded as different from this one.")
for pair in pairs.iter_rows(named=True):
    if pair["other_held"]:
        uc.page_link("indicator", pair["other_title"], {"i": pair["other_id"]}, icon=":material/block:")
    else:
        st.markdown(f"**{ui.plain(pair['other_id'])}**")
    why = ui.plain(pair["why"])
    st.caption(f"As recorded on that indicator, this one is different: {why}" if pair["recorded_by_other"]
               else f"Why it is different: {why}")

st.subheader("Breaks in the series", anchor=False)
breaks = detail["breaks"]
if not breaks["whole_series"] and breaks["per_area"].is_empty():
    st.write("No break in the series is recorded.")
for b in breaks["whole_series"]:
    st.markdown(f"- From **{ui.plain(b['period'])}** (all areas): {ui.plain(b['reason'])}")
if not breaks["per_area"].is_empty():
    per_area = breaks["per_area"]
    st.markdown(f"- {per_area['area_code'].n_unique():,} areas have a break of their own, mostly boundary changes.")
    with st.expander("Breaks by area"):
        st.dataframe(per_area.rename({"period": "From period", "area_type": "Area type", "area_code": "Code",
                                      "area_name": "Area", "reason": "Reason"}), hide_index=True)

st.subheader("Related indicators", anchor=False)
related = detail["related"]
if related.is_empty():
    st.write("No other indicator on this topic.")
for r in related.head(12).iter_rows(named=True):
    by = ", ".join(r["producers"] or [])
    uc.page_link("indicator", f"{r['title']} ({by}" + (", another producer" if r["other_producer"] else "") + ")",
                 {"i": r["indicator_id"]}, icon=":material/description:")
if related.height > 12:
    uc.page_link("catalogue", f"All {related.height + 1} indicators on this topic", {"t": row["topic"]},
                 icon=":material/search:")
ui.footer()
