"""What a download is made of: its columns (always-present, optional groups, labels and
definitions) and the download page's URL keys. Shared by the queries, the export formats, the
page and the command line, so a column or a key means the same everywhere. No Streamlit."""

from __future__ import annotations

from explorer import schema
from explorer.state import Param

# --- columns ----------------------------------------------------------------------------------
# Always in every download: what the number is, where, when, for whom, and who published it.
# Producer and source stay on every row so each value can be traced back to its file.
ALWAYS = ("indicator_id", "indicator", "unit", "area_code", "area_name", "area_type", "period",
          "period_start", "period_end", "sex", "age", "category", "status", "note", "producer",
          "source_id")
COLUMN_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "value": ("Value", ("value",)),
    "ci95": ("95% confidence interval", ("lower_ci95", "upper_ci95")),
    "ci998": ("99.8% confidence interval", ("lower_ci998", "upper_ci998")),
    "count": ("Count (numerator)", ("count",)),
    "denominator": ("Denominator", ("denominator",)),
    "comparison": ("Compared with England", ("england_value", "compared_with_england")),
    "source": ("Source file and interval method", ("source_title", "release", "ci_method")),
    "original": ("Original area code and period", ("original_area_code", "original_period")),
}
DEFAULT_COLUMNS = ("value", "ci95", "count", "denominator", "comparison")
COLUMN_DESCRIPTIONS = {
    "indicator_id": "The explorer's stable identifier of the indicator.",
    "indicator": "The indicator's title.",
    "unit": "Unit of the value (e.g. % or per 100,000).",
    "area_code": "GSS code of the area (ODS code for NHS trusts).",
    "area_name": "Name of the area (latest name held for the code).",
    "area_type": "Type of area: " + "; ".join(f"{k} = {v}" for k, v in schema.AREA_TYPES.items()) + ".",
    "period": "Time period as labelled by the explorer (2019/20 = financial year April to March).",
    "period_start": "First day of the period (ISO 8601 date).",
    "period_end": "Last day of the period (ISO 8601 date).",
    "sex": "Persons, Male or Female.",
    "age": "Age band the value covers.",
    "category": "Breakdown within the area (e.g. A&E department type, drug); empty = none.",
    "status": ("published; revised (changed in a later release); provisional; suppressed (withheld "
               "for disclosure control); missing; re-estimated (moved onto current boundaries by the "
               "explorer); aggregated (England or regional total summed by the explorer)."),
    "note": "Notes on the value from the producer or the explorer.",
    "producer": "Organisation that published the value.",
    "source_id": "The explorer's identifier of the source dataset (see the sources list).",
    "value": "The value, in the unit given.",
    "lower_ci95": "Lower 95% confidence limit.",
    "upper_ci95": "Upper 95% confidence limit.",
    "lower_ci998": "Lower 99.8% confidence limit.",
    "upper_ci998": "Upper 99.8% confidence limit.",
    "count": "Count (numerator) behind the value.",
    "denominator": "Denominator (population or total) behind the value.",
    "england_value": ("England's value for the same indicator, period, sex, age and breakdown (the "
                      "producer's own, else the explorer's sum); empty for England itself."),
    "compared_with_england": ("Comparison with England as on the Explore page (Fingertips method 1): "
                              "similar when England's value is inside the area's 95% interval; otherwise "
                              "better/worse (higher/lower when the indicator has no polarity), best/worst "
                              "beyond the 99.8% interval; not compared when an interval or England's "
                              "value is missing; empty for England itself."),
    "source_title": "Title of the source dataset.",
    "release": "The producer's file the value was read from.",
    "ci_method": "How the confidence interval was obtained (as published, or the method recomputed).",
    "original_area_code": "Area code exactly as the producer published it.",
    "original_period": "Period label exactly as the producer published it.",
}

COLUMN_LABELS = {
    "indicator_id": "Indicator ID", "indicator": "Indicator", "unit": "Unit", "area_code": "Area code",
    "area_name": "Area name", "area_type": "Area type", "period": "Period", "period_start": "Period start",
    "period_end": "Period end", "sex": "Sex", "age": "Age", "category": "Breakdown", "status": "Status",
    "note": "Note", "producer": "Producer", "source_id": "Source ID", "value": "Value",
    "lower_ci95": "Lower 95% limit", "upper_ci95": "Upper 95% limit", "lower_ci998": "Lower 99.8% limit",
    "upper_ci998": "Upper 99.8% limit", "count": "Count", "denominator": "Denominator",
    "england_value": "England value", "compared_with_england": "Compared with England",
    "source_title": "Source title", "release": "Source file", "ci_method": "Interval method",
    "original_area_code": "Original area code", "original_period": "Original period",
}

# --- URL state --------------------------------------------------------------------------------
P_INDICATORS = Param("i", "indicators", "Indicators to download", many=True, max_items=20)
P_QUERY = Param("q", "search words", "Words to find indicators by")
P_TOPIC = Param("tp", "topic", "Topic the indicator list is limited to")
P_PRODUCERS = Param("pr", "producers", "Producers (organisations)", many=True)
P_AREA_TYPE = Param("at", "area type", "Type of area")
P_AREAS = Param("a", "areas", "Areas (all of the type when none)", many=True, max_items=400)
P_FROM = Param("from", "first period", "Earliest period")
P_TO = Param("to", "last period", "Latest period")
P_SEXES = Param("sx", "sexes", "Sex", many=True)
P_AGES = Param("ag", "age bands", "Age band", many=True, max_items=60)
P_CATEGORIES = Param("cat", "breakdowns", "Breakdown within areas", many=True, max_items=60)
P_STATUSES = Param("st", "statuses", "Status of values", many=True)
P_COLUMNS = Param("cols", "columns", "Optional columns", default=list(DEFAULT_COLUMNS), many=True)
P_FORMAT = Param("f", "format", "File format", default="zip")
NO_COLUMNS = "none"  # in a link: every optional column switched off
FILTER_PARAMS = (P_INDICATORS, P_PRODUCERS, P_AREA_TYPE, P_AREAS, P_FROM, P_TO, P_SEXES, P_AGES,
                 P_CATEGORIES, P_STATUSES, P_COLUMNS)


def age_token(age: str) -> str:
    """Age bands in a link: '<' is not link-safe, so '<75' travels as 'lt75'."""
    return age.replace("<", "lt")
