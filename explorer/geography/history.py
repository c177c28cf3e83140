"""'What happened to this area': predecessors and successors with dates, in plain English.

Frame-based: pass the store's areas and area_links frames (or `build_areas()` / `build_links()`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from explorer.geography.links import SUCCESSION_KINDS

CHANGES = [k for k in SUCCESSION_KINDS if k != "unchanged"]


def successors(code: str, links: pl.DataFrame) -> pl.DataFrame:
    """Links from `code` to the areas it became (unchanged steps left out)."""
    return links.filter(
        pl.col("from_code") == code, pl.col("kind").is_in(CHANGES), pl.col("to_code").is_not_null()
    ).sort("change_date", "to_code")


def predecessors(code: str, links: pl.DataFrame) -> pl.DataFrame:
    """Links into `code` from the areas it was formed from (unchanged steps left out)."""
    return links.filter(pl.col("to_code") == code, pl.col("kind").is_in(CHANGES)).sort(
        "change_date", "from_code"
    )


def _date(day: dt.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "an unknown date"


class _Names(dict):
    """area_code → name, preferring the name the code had as `kind` (a CCG code is also a sub-ICB)."""

    def __init__(self, areas: pl.DataFrame, kind: str | None):
        latest = areas.sort("vintage").unique(["area_code", "area_type"], keep="last")
        preferred = latest.sort(pl.col("area_type") == kind).unique("area_code", keep="last")
        super().__init__(zip(preferred["area_code"], preferred["area_name"], strict=True))


def _names(areas: pl.DataFrame, code: str) -> dict[str, str]:
    kinds = areas.filter(pl.col("area_code") == code).sort("vintage")["area_type"]
    return _Names(areas, kinds[0] if len(kinds) else None)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def what_happened(code: str, areas: pl.DataFrame, links: pl.DataFrame) -> str:
    """Plain-English account of the area's boundary history (empty string if nothing changed)."""
    names = _names(areas, code)
    name = names.get(code, code)
    sentences = []
    for (kind, day), grp in successors(code, links).group_by(["kind", "change_date"], maintain_order=True):
        targets = [names.get(c, c) for c in grp["to_code"].unique(maintain_order=True)]
        if kind == "merged into":
            partners = predecessors(grp["to_code"][0], links).filter(
                pl.col("from_code") != code, pl.col("change_date") == day, pl.col("kind") == "merged into"
            )
            others = [names.get(c, c) for c in partners["from_code"].unique(maintain_order=True)]
            with_ = f" with {_join(others)}" if others else ""
            sentences.append(f"{name} merged{with_} into {targets[0]} on {_date(day)}.")
        elif kind == "split into":
            parts = [f"{names.get(c, c)} ({w:.0%})" for c, w in grp.select("to_code", "weight").iter_rows()]
            sentences.append(f"{name} was split on {_date(day)}: its population went to {_join(parts)}.")
        elif kind == "recoded as":
            sentences.append(f"{name} was given a new code on {_date(day)}: it continues as {targets[0]}.")
        elif kind == "boundary changed":
            sentences.append(
                f"{name}'s boundaries were redrawn on {_date(day)} among {_join(targets)}; the "
                "shares that moved are not published, so its series stops there."
            )
        elif kind == "closed":
            sentences.append(f"{name} closed on {_date(day)}; its successor could not be identified.")
    preds = predecessors(code, links).filter(pl.col("kind").is_in(["merged into", "recoded as"]))
    if preds.height and not sentences:
        froms = [names.get(c, c) for c in preds["from_code"].unique(maintain_order=True)]
        sentences.append(f"{name} was formed on {_date(preds['change_date'][0])} from {_join(froms)}.")
    return " ".join(sentences)
