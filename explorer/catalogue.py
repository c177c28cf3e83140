"""The indicator catalogue: one entry per measure, whichever producers publish it.

Entries are defined in the source steps' YAML side files (never in Python). `definitions()`
gathers them and checks them; `build(values, definitions, reports)` adds what the data says:
producers, sources, area types, periods covered and the latest period.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml

from explorer import paths, schema

REQUIRED = ("id", "title", "definition", "topic", "unit", "value_type", "polarity")
LIST_FIELDS = ("synonyms", "not_same_as", "breaks")


class CatalogueError(ValueError):
    """A metadata side file that breaks the catalogue's rules; names the file and indicator."""


def topics() -> list[dict]:
    with (Path(paths.ROOT) / "explorer" / "topics.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def definitions(metas: list[dict]) -> pl.DataFrame:
    """Every indicator defined in the given source metadata, validated, one row each."""
    topic_ids = {t["id"] for t in topics()}
    rows: dict[str, dict] = {}
    for meta in metas:
        for entry in meta.get("indicators") or []:
            where = f"{Path(meta['_path']).name}, indicator {entry.get('id', '?')!r}"
            missing = [k for k in REQUIRED if not entry.get(k)]
            if missing:
                raise CatalogueError(f"{where}: missing {missing}")
            if entry["id"] in rows:
                raise CatalogueError(f"{where}: already defined by source "
                                     f"{rows[entry['id']]['defined_by']}")
            checks = {"topic": topic_ids, "value_type": schema.VALUE_TYPES,
                      "polarity": schema.POLARITIES}
            for key, allowed in checks.items():
                if entry[key] not in allowed:
                    raise CatalogueError(f"{where}: {key} {entry[key]!r} not one of {sorted(allowed)}")
            rows[entry["id"]] = _row(entry, meta)
    return pl.DataFrame(list(rows.values()), schema=DEFINITION_SCHEMA)


DEFINITION_SCHEMA = {
    "indicator_id": pl.String, "title": pl.String, "short_title": pl.String,
    "definition": pl.String, "rationale": pl.String, "method": pl.String, "topic": pl.String,
    "unit": pl.String, "multiplier": pl.Float64, "value_type": pl.String, "polarity": pl.String,
    "synonyms": pl.List(pl.String), "caveats": pl.String, "disclosure_control": pl.Boolean,
    "target": pl.Float64, "fingertips_id": pl.String, "licence": pl.String,
    "defined_by": pl.String,
    "not_same_as": pl.List(pl.Struct({"id": pl.String, "why": pl.String})),
    "breaks": pl.List(pl.Struct({"period": pl.String, "reason": pl.String})),
}


def _row(entry: dict, meta: dict) -> dict:
    return {
        "indicator_id": entry["id"], "title": entry["title"].strip(),
        "short_title": (entry.get("short_title") or entry["title"]).strip(),
        "definition": " ".join(str(entry["definition"]).split()),
        "rationale": entry.get("rationale"), "method": entry.get("method"),
        "topic": entry["topic"], "unit": entry["unit"],
        "multiplier": float(entry.get("multiplier") or 1), "value_type": entry["value_type"],
        "polarity": entry["polarity"], "synonyms": [str(s) for s in entry.get("synonyms") or []],
        "caveats": entry.get("caveats"), "disclosure_control": bool(entry.get("disclosure_control")),
        "target": entry.get("target"),
        "fingertips_id": str(entry["fingertips_id"]) if entry.get("fingertips_id") else None,
        "licence": entry.get("licence") or meta["licence"], "defined_by": meta["id"],
        "not_same_as": [{"id": n["id"], "why": n.get("why")} for n in entry.get("not_same_as") or []],
        "breaks": [{"period": str(b["period"]), "reason": b.get("reason")}
                   for b in entry.get("breaks") or []],
    }


def build(values: pl.DataFrame, defs: pl.DataFrame) -> pl.DataFrame:
    """Catalogue rows with what the data adds. Every indicator in `values` must be defined."""
    unknown = set(values.get_column("indicator_id").unique()) - set(defs["indicator_id"])
    if unknown:
        sources = values.filter(pl.col("indicator_id").is_in(list(unknown)))["source_id"].unique()
        raise CatalogueError(f"values for undefined indicators {sorted(unknown)} from sources "
                             f"{sorted(sources)}: define them in a source's YAML")
    published = values.filter(pl.col("status").is_in(["published", "revised", "provisional"]))
    coverage = values.group_by("indicator_id").agg(
        pl.col("producer").unique().sort().alias("producers"),
        pl.col("source_id").unique().sort().alias("source_ids"),
        pl.col("area_type").unique().sort().alias("area_types"),
        pl.col("period_type").mode().first().alias("period_type"),
        pl.col("period_start").min().alias("first_period_start"),
        pl.col("period_end").max().alias("last_period_end"),
        pl.col("period").sort_by("period_start").first().alias("first_period"),
        pl.col("period").sort_by("period_end").last().alias("latest_period"),
        pl.col("period").n_unique().alias("n_periods"),
        pl.len().alias("n_values"),
    )
    counts = published.group_by("indicator_id").agg(pl.len().alias("n_published"))
    return (defs.join(coverage, on="indicator_id", how="left")
            .join(counts, on="indicator_id", how="left")
            .with_columns(pl.col("n_values").fill_null(0), pl.col("n_published").fill_null(0))
            .sort("topic", "indicator_id"))
