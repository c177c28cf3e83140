"""Plain-English summaries generated from the data: the text alternative at the top of a view.

The wording follows the statistics exactly: "significantly" only when the benchmark lies outside
the area's 95% confidence interval (Fingertips method 1), "better"/"worse" only when the
indicator has a polarity, "not significantly different" when the benchmark lies inside the
interval, and nothing about significance when there is no interval. No Streamlit here; the
text is plain (callers escape it before rendering).
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from explorer import schema
from explorer.charts.common import is_number, number

WORDS = {
    # label -> (direction when high is good, direction when low is good)
    "better": ("higher", "lower"), "best": ("higher", "lower"),
    "worse": ("lower", "higher"), "worst": ("lower", "higher"),
}
PLURAL = {"icb": "ICBs", "ccg": "CCGs", "sub_icb": "sub-ICB locations", "utla": "upper-tier local authorities",
          "ltla": "lower-tier local authorities", "region": "regions", "nhs_region": "NHS regions",
          "trust": "NHS trusts", "country": "countries", "combined_authority": "combined authorities",
          "england": "areas"}


def value_text(indicator: dict, value: float | None) -> str:
    """A value with its unit as people read it ("8.9%", "94.7 per 100,000", "£1,200")."""
    text = number(value)
    unit = indicator.get("unit") or ""
    if not is_number(value) or not unit or unit in ("count", "number", "score", "rank", "index"):
        return text
    if unit == "%":
        return text + "%"
    if unit == "£":
        return "£" + text
    return f"{text} {unit}"


def direction(label: str | None, polarity: str | None) -> str | None:
    """'higher'/'lower' for a comparison label, or None when the area was not judged different."""
    label = (label or "").lower()
    if label in ("higher", "lower"):
        return label
    if label in WORDS:
        high, low = WORDS[label]
        return high if polarity == "high is good" else low
    return None


def comparison_phrase(label: str | None, polarity: str | None, benchmark: str, benchmark_value: str) -> str:
    """"significantly higher than England (7.1%)", "… – better", "similar to …" and so on."""
    label = (label or "").lower()
    against = f"{benchmark} ({benchmark_value})"
    if label == "similar":
        return f"not significantly different from {against}"
    way = direction(label, polarity)
    if way is None:
        return f"not compared with {against}: no confidence interval is available"
    judged = {"better": "better", "best": "better", "worse": "worse", "worst": "worse"}.get(label)
    strict = " (even at the stricter 99.8% level)" if label in ("best", "worst") else ""
    return f"significantly {way} than {against}{strict}" + (f", which is {judged}" if judged else "")


def area_sentence(indicator: dict, period: str, row: dict, benchmark_label: str) -> str:
    """One area: "In 2019/20, Diabetes (GP recorded) in X was 8.9%, significantly higher than England (7.1%)."."""
    title = indicator.get("short_title") or indicator.get("title") or "the indicator"
    name = row.get("area_name") or row.get("area_code")
    if not is_number(row.get("value")):
        why = row.get("note") or row.get("status") or "no value"
        return f"In {period}, there is no value for {title} in {name} ({why})."
    text = f"In {period}, {title} in {name} was {value_text(indicator, row['value'])}"
    bench = row.get("benchmark_value")
    bench_name = row.get("benchmark_name") or benchmark_label
    if not is_number(bench):
        missing = "England" if benchmark_label == "England" else benchmark_label.replace("its ", "its own ", 1)
        return text + f"; there is no value for {missing} to compare it with."
    if benchmark_label != "England":
        bench_name = f"{benchmark_label}, {bench_name}"
    phrase = comparison_phrase(row.get("comparison"), indicator.get("polarity"), bench_name,
                               value_text(indicator, bench))
    if row.get("comparison") in (None, "not compared"):
        return text + f" ({bench_name}: {value_text(indicator, bench)}; no confidence interval to test the difference)."
    return f"{text}, {phrase}."


def overview_sentences(indicator: dict, period: str, area_type: str, frame: pl.DataFrame,
                       england: dict | None, benchmark_label: str) -> list[str]:
    """The whole area type: England's value, how many areas differ significantly, the range."""
    title = indicator.get("short_title") or indicator.get("title") or "the indicator"
    kind = PLURAL.get(area_type, schema.AREA_TYPES.get(area_type, area_type))
    valued = frame.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    out = []
    if england and is_number(england.get("value")):
        out.append(f"In {period}, {title} was {value_text(indicator, england['value'])} in England.")
    else:
        out.append(f"In {period}, there is no England value for {title}.")
    if valued.is_empty():
        out.append(f"None of the {frame.height} {kind} has a value for this period.")
        return out
    counts = Counter(direction(c, indicator.get("polarity")) or ("similar" if c == "similar" else None)
                     for c in valued["comparison"].to_list())
    tested = counts["higher"] + counts["lower"] + counts["similar"]
    against = benchmark_label.replace("its ", "their ", 1)  # "its ICB" -> "their ICB" for many areas
    if tested:
        parts = [f"{counts['higher']} {_were(counts['higher'])} significantly higher than {against}",
                 f"{counts['similar']} {_were(counts['similar'])} not significantly different",
                 f"{counts['lower']} {_were(counts['lower'])} significantly lower"]
        polarity = indicator.get("polarity")
        if polarity in ("high is good", "low is good"):
            better = "higher" if polarity == "high is good" else "lower"
            parts = [p + (" (better)" if w == better else " (worse)" if w in ("higher", "lower") else "")
                     for p, w in zip(parts, ("higher", "similar", "lower"), strict=True)]
        out.append(f"Of the {valued.height} {kind} with a value, {parts[0]}, {parts[1]} and {parts[2]}"
                   + (f"; {valued.height - tested} could not be compared." if valued.height > tested else "."))
    else:
        out.append(f"{valued.height} {kind} have a value; none can be tested against {against} because "
                   "no confidence intervals are available.")
    low = valued.sort("value").row(0, named=True)
    high = valued.sort("value").row(-1, named=True)
    if valued.height > 1:
        out.append(f"Values ranged from {value_text(indicator, low['value'])} in {low['area_name']} to "
                   f"{value_text(indicator, high['value'])} in {high['area_name']}.")
    return out


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def trend_sentence(name: str, result) -> str | None:
    """"Recent trend in X: Increasing and getting worse (last 5 years)." or why it cannot be said."""
    if result is None:
        return None
    if result.reason:
        return f"The recent trend in {name} cannot be calculated: {result.reason}."
    return f"Recent trend in {name}: {result.label.lower()} over the last {result.points_used} years."
