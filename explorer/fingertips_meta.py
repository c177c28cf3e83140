"""Fingertips indicator metadata (definitions, methods, polarity, units) from DHSC's FingertipsNext
copy in data/raw/fingertips_metadata, as one Polars frame keyed by the Fingertips indicator ID.

The catalogue uses it to cross-reference the `fingertips_id:` recorded in source YAML files, and
engineers use it to write accurate definitions. No Streamlit here: pages and the build import it.

Two files describe overlapping sets of indicators: `fingertipsnext_indicators.json` (35, full
text) and `fingertipsnext_indicators.csv` (37, name/polarity/value type only). The JSON wins where
both have a field; the CSV fills the rest. Text fields arrive with HTML entities (&nbsp;, &rsquo;)
and Windows line breaks, which are cleaned. Polarity is mapped onto the store's vocabulary
(`schema.POLARITIES`); the producer's wording is kept in `fingertips_polarity`.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from explorer import paths
from explorer.sources import readers
from explorer.sources.base import SourceError

FOLDER = "fingertips_metadata"
JSON_FILE = "fingertipsnext_indicators.json"
CSV_FILE = "fingertipsnext_indicators.csv"

# Output column → JSON field. Order is the frame's column order after `fingertips_id`.
JSON_FIELDS = {
    "title": "indicatorName",
    "definition": "indicatorDefinition",
    "rationale": "rationale",
    "method": "method",
    "ci_method": "ciMethod",
    "ci_method_details": "ciMethodDetails",
    "unit": "unitLabel",
    "unit_value": "unitValue",
    "fingertips_polarity": "polarity",
    "benchmark_method": "benchmarkComparisonMethod",
    "value_type": "valueType",
    "caveats": "caveats",
    "data_source": "dataSource",
    "period_type": "periodType",
    "frequency": "frequency",
}
# The CSV's names for the fields it shares with the JSON.
CSV_FIELDS = {
    "title": "IndicatorName",
    "fingertips_polarity": "Polarity",
    "benchmark_method": "BenchmarkComparisonMethod",
    "value_type": "ValueType",
    "period_type": "PeriodType",
    "frequency": "Frequency",
}
SCHEMA = {"fingertips_id": pl.Int64, **{name: pl.String for name in JSON_FIELDS}, "polarity": pl.String}

# Placeholders FingertipsNext uses for "nothing here".
EMPTY = {"", "none", "no value present", "null"}
POLARITY = {"low is good": "low is good", "high is good": "high is good",
            "no judgement": "no judgement"}


def clean_text(value: object) -> str | None:
    """Entities decoded, non-breaking spaces and CR/LF normalised, placeholders → None."""
    if value is None:
        return None
    text = html.unescape(str(value)).replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return None if text.lower() in EMPTY else text


def normalise_polarity(text: str | None) -> str | None:
    """Fingertips wording → schema.POLARITIES; RAG/BOB variants keep their direction."""
    if not text:
        return None
    lowered = text.lower()
    for key, value in POLARITY.items():
        if key in lowered:
            return value
    # 'BOB - Blue orange blue' and similar colour schemes make no good/bad judgement.
    return "no judgement"


def _from_json(path: Path) -> pl.DataFrame:
    try:
        records = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceError(path, f"not readable JSON: {exc}") from exc
    if not isinstance(records, list):
        raise SourceError(path, "expected a list of indicator records")
    rows = []
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict) or "indicatorID" not in record:
            raise SourceError(path, f"record {i} has no indicatorID")
        try:
            fingertips_id = int(record["indicatorID"])
        except (TypeError, ValueError) as exc:
            raise SourceError(path, f"record {i}: indicatorID {record['indicatorID']!r} is not a "
                              "number") from exc
        rows.append({"fingertips_id": fingertips_id,
                     **{out: clean_text(record.get(src)) for out, src in JSON_FIELDS.items()}})
    schema = {k: v for k, v in SCHEMA.items() if k != "polarity"}
    return pl.DataFrame(rows, schema=schema)


def _from_csv(path: Path) -> pl.DataFrame:
    frame = readers.read_csv(path, required=["IndicatorID", *CSV_FIELDS.values()])
    bad = frame.filter(pl.col("IndicatorID").cast(pl.Int64, strict=False).is_null())
    if bad.height:
        raise SourceError(path, f"IndicatorID {bad['IndicatorID'][0]!r} is not a number",
                          row=int(bad["_row"][0]))
    return frame.select(
        pl.col("IndicatorID").cast(pl.Int64).alias("fingertips_id"),
        *[pl.col(src).map_elements(clean_text, return_dtype=pl.String).alias(out)
          for out, src in CSV_FIELDS.items()])


@lru_cache(maxsize=4)
def load(raw_dir: Path = paths.RAW_DIR) -> pl.DataFrame:
    """One row per Fingertips indicator ID, columns as in `SCHEMA`, sorted by ID (cached per
    folder: the files are small and never change during a run)."""
    folder = Path(raw_dir) / FOLDER
    from_json = _from_json(folder / JSON_FILE)
    from_csv = _from_csv(folder / CSV_FILE)
    for name, frame in ((JSON_FILE, from_json), (CSV_FILE, from_csv)):
        dupes = frame.filter(pl.col("fingertips_id").is_duplicated())["fingertips_id"].unique()
        if dupes.len():
            raise SourceError(folder / name, f"indicator ID(s) listed twice: {dupes.to_list()}")
    merged = from_json.join(from_csv, on="fingertips_id", how="full", coalesce=True,
                            suffix="_csv")
    merged = merged.with_columns(
        [pl.coalesce(pl.col(c), pl.col(f"{c}_csv")).alias(c) for c in CSV_FIELDS]
    ).drop([f"{c}_csv" for c in CSV_FIELDS])
    merged = merged.with_columns(
        pl.col("fingertips_polarity").map_elements(normalise_polarity, return_dtype=pl.String)
        .alias("polarity"))
    return merged.select(list(SCHEMA)).cast(SCHEMA).sort("fingertips_id")


def lookup(fingertips_id: int | str, raw_dir: Path = paths.RAW_DIR) -> dict | None:
    """The metadata row for one Fingertips indicator ID, or None if FingertipsNext lacks it."""
    rows = load(raw_dir).filter(pl.col("fingertips_id") == int(fingertips_id))
    return rows.row(0, named=True) if rows.height else None
