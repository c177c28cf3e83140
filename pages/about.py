"""About and methods: how producers' data are harmonised, compared and protected; licences; sources."""

import streamlit as st

from explorer import ui
from explorer.queries import home

store = ui.store_or_stop()
st.title("About these statistics")
st.markdown(
    "This site brings together health statistics for England from the organisations that produce "
    "them and puts them on one footing, so that an area can be compared with England, with its "
    "region or ICB, and with itself over time. Nothing is modelled or invented: every value is "
    "either as published, or derived from published counts by a method stated below and labelled "
    "in every table.")

st.subheader("How producers' data are harmonised", anchor=False)
st.markdown(
    "- **Files as published.** Each producer's files are read as they were released (CSV and Excel, "
    "with their preambles, merged headers and markers). Every row read is either loaded or kept "
    "with the reason it was rejected; the table at the foot of this page counts both.\n"
    "- **Area codes.** Every area gets its ONS (GSS) code, e.g. E38000232 for NHS Bradford District "
    "and Craven CCG; NHS organisation (ODS) codes such as 36J are mapped to it. Names come from the "
    "boundary vintage the code belongs to.\n"
    "- **Periods.** Each producer's own period labels ('2019-20', 'Apr 2022', 'w/e 3 Apr 2020', "
    "'2018 - 20') become one period with a start and end date: financial years (1 April to 31 "
    "March), calendar years, pooled years, months, weeks and single dates.\n"
    "- **Units.** Values keep the producer's scale and say so: percentages (× 100), rates per "
    "1,000 or 100,000, scores, years, counts and pounds.\n"
    "- **Releases and revisions.** When a later release publishes a period again (QOF workbooks "
    "carry the previous year), the latest release is kept and marked *revised*; the earlier value is "
    "kept in the revision log (see the Release calendar).\n"
    "- **The same measure from two producers** (e.g. healthy life expectancy from ONS and OHID) is "
    "kept side by side, never merged; pages show one producer at a time and say who else publishes it.")

st.subheader("Confidence intervals", anchor=False)
st.markdown(
    "Intervals are shown as published where the producer gives them. Where it does not but gives the "
    "count and denominator, they are recomputed with the method Fingertips uses (PHEindicatormethods), "
    "and the method is recorded with each value (*as published* or *recomputed: …*):\n\n"
    "- **Proportions:** Wilson score interval.\n"
    "- **Crude rates and counts:** exact Poisson limits below 10 events, Byar's approximation from 10.\n"
    "- **Directly standardised rates:** Dobson's method (not calculated when the total count is below 10).\n"
    "- Two levels are kept: **95%** (z = 1.96) and **99.8%** (z = 3.09).\n\n"
    "Some producers publish no interval and not enough to compute one (e.g. modelled estimates); "
    "those values are shown without one and are never called significantly different.")

st.subheader("Comparing an area with a benchmark", anchor=False)
st.markdown(
    "The benchmark is England by default, or each area's parent: its region (local authorities), "
    "its ICB (CCGs and sub-ICB locations) or its NHS region (ICBs). The rule is Fingertips' "
    "method 1:\n\n"
    "- **Similar** when the benchmark value lies inside the area's 95% confidence interval.\n"
    "- Otherwise **better** or **worse**, depending on whether a higher value is good or bad for "
    "this indicator (its *polarity*). Where the benchmark also lies outside the 99.8% interval the "
    "difference is called better or worse *at the 99.8% level*.\n"
    "- For indicators where higher is neither better nor worse (e.g. how many people are on a "
    "disease register), areas are **higher** or **lower**, in two shades of blue, never red or green.\n"
    "- **Not compared** when the value, its interval or the benchmark is missing.\n\n"
    "If the producer publishes no England value for a period, the England value summed by us from "
    "all areas is used (marked *aggregated*); if there is none, areas are not compared and maps are "
    "coloured by quintile. **Quintiles** split the areas with a value into five groups of equal "
    "size (Fingertips' interpolated percentiles; at least five values needed).\n\n"
    "Colour is never the only signal: each outcome has its own marker shape and legend words, and "
    "the same words appear in hover text, in the summary sentence and in the table. Colours are "
    "from colour-blind-safe palettes (Okabe–Ito and ColorBrewer). Testing many areas at 95% means "
    "about 1 in 20 similar areas will look different by chance; the 99.8% level and the funnel plot "
    "help to tell real outliers from noise.")

st.subheader("Funnel plots, recent trends and SPC", anchor=False)
st.markdown(
    "- **Funnel plots** draw each area's value against its size with 95% and 99.8% control limits "
    "around the benchmark (Wilson limits for proportions, exact Poisson for rates), as "
    "PHEindicatormethods does: small areas vary more by chance, so their limits are wider.\n"
    "- **Recent trend** (yearly data only): the last five points, a regression weighted by the "
    "precision of each point, significant when χ² exceeds 9.55 (99.8%) and the direction is the same "
    "whichever single point is left out, as Fingertips' trend marker does. Labels read e.g. "
    "*Increasing and getting worse*. It is never calculated across a break in the series.\n"
    "- **Statistical process control** (monthly data): NHS England's *Making Data Count* XmR charts, "
    "mean ± 2.66 × the average moving range, with the rules for a point outside the limits, a run of "
    "seven rising or falling points, two of three near the limits and seven on one side of the mean.\n"
    "- **Breaks in series** (a change of definition, method or boundaries) are marked on trend charts "
    "with their reason.")

st.subheader("Disclosure control", anchor=False)
st.markdown(
    "Values the producer suppressed to protect confidentiality are shown as **\\*** with the "
    "producer's reason, never as zero. For indicators built from record-level data the NHS Digital "
    "rule is applied before anything is shown or exported: counts of 1 to 7 are suppressed together "
    "with every figure derived from them, and other counts are rounded to the nearest 5.")

st.subheader("Boundaries that changed", anchor=False)
st.markdown(
    "CCGs merged almost every April from 2013 and were replaced by ICBs and sub-ICB locations in July "
    "2022. Figures are always shown first on the boundaries they were published for. To follow one "
    "place over time, QOF counts and denominators are also summed onto April-2021 CCGs and July-2022 "
    "ICBs, and the value and its Wilson interval recomputed; these values are marked *re-estimated* "
    "and appear only when you ask for current boundaries, or when that is the only way a period exists "
    "for an area type. Where a CCG was split its counts are shared out by population; where boundaries "
    "were redrawn with unknown shares no re-estimate is made and the series shows a break. England and "
    "NHS-region totals that a producer did not publish are summed the same way (*aggregated*). "
    "Maps use the boundary layer whose codes best match the period; areas without a polygon are "
    "listed in the chart and the table and the page says how many.")

st.subheader("Licences and attribution", anchor=False)
st.markdown(
    "- Most data are **© Crown copyright** and reused under the [Open Government Licence v3.0]"
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/): you may copy, "
    "publish, adapt and exploit the information, commercially or not, provided you acknowledge the "
    "source, e.g. *Contains public sector information licensed under the Open Government Licence v3.0*.\n"
    "- **Boundaries** contain OS data © Crown copyright and database right, and ONS data, under the "
    "same licence.\n"
    "- **House of Commons Library** data are reused under the [Open Parliament Licence v3.0]"
    "(https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/): "
    "*Contains Parliamentary information licensed under the Open Parliament Licence v3.0*.\n"
    "- Under every chart the producer, dataset, release date and licence of the figures are named; "
    "please cite them as well as this site.")

st.subheader("Data sources", anchor=False)
st.caption("Every dataset in the store: files read, and rows read, loaded and rejected (each rejected row "
           "is kept with its reason).")
st.dataframe(home.sources_table(store), hide_index=True, width="stretch", column_config={
    "Latest release": st.column_config.DateColumn(format="D MMM YYYY"),
    "Rows read": st.column_config.NumberColumn(format="localized"),
    "Rows loaded": st.column_config.NumberColumn(format="localized"),
    "Rows rejected": st.column_config.NumberColumn(format="localized"),
})
ui.footer()
