"""Areas for the area profile: the list to pick from, search by name, GSS or ODS code, what
happened to an area that no longer exists, and each area's parent. No Streamlit here.

An area is (area_code, area_type): one GSS code can be two kinds of area (a CCG code lived on as
the sub-ICB location with the same boundaries; a unitary authority is both a lower- and an
upper-tier local authority). The profile of such an area draws on every kind it is (see
`related_types`), and compares each indicator with areas of the kind that indicator is held for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from explorer import schema
from explorer.geography import history
from explorer.queries.profile_cache import per_store
from explorer.store import Store

# Kinds of area a profile can be drawn for, in the order the picker and search prefer them.
PROFILE_TYPES = ("sub_icb", "icb", "utla", "ltla", "ccg", "region", "nhs_region", "combined_authority")
SHORT_TYPE = {"sub_icb": "sub-ICB location", "icb": "ICB", "utla": "upper-tier local authority",
              "ltla": "lower-tier local authority", "ccg": "CCG", "region": "region",
              "nhs_region": "NHS region", "combined_authority": "combined authority", "england": "England"}
PLURAL = {"sub_icb": "sub-ICB locations", "icb": "ICBs", "utla": "upper-tier local authorities",
          "ltla": "lower-tier local authorities", "ccg": "CCGs", "region": "regions", "nhs_region": "NHS regions",
          "combined_authority": "combined authorities"}
# Whose figures a profile shows beside the area's, by the area's kind (first one with a value).
PARENT_COLUMNS = {"sub_icb": [("parent_icb", "icb")], "ccg": [("parent_icb", "icb")],
                  "icb": [("parent_nhs_region", "nhs_region")], "utla": [("parent_region", "region")],
                  "ltla": [("parent_region", "region")]}
PARENT_WORD = {"icb": "ICB", "nhs_region": "NHS region", "region": "Region"}
ENGLAND = "E92000001"


@dataclass
class Resolved:
    """The area the profile shows after reading what the link or search asked for."""

    code: str | None
    area_type: str | None
    notices: list[str] = field(default_factory=list)
    history: str = ""  # plain-English boundary history of the area that was asked for
    asked_for: str | None = None  # the old code, when the profile moved to its successor
    moved: str = ""  # one sentence saying so


@per_store
def area_table(store: Store) -> pl.DataFrame:
    """Every area a profile can be drawn for, with a label for pickers and a search text.

    Columns: area_code, area_type, area_name, display_name (a sub-ICB location's CCG place name
    first: "Bradford District and Craven (NHS West Yorkshire ICB - 36J)"), ods_code, valid_to, current_code, is_current,
    superseded (the code was replaced by another), former_name (a sub-ICB location's CCG name),
    label, search_text, type_rank.
    """
    areas = store.areas().filter(pl.col("area_type").is_in(PROFILE_TYPES))
    ccg_names = areas.filter(pl.col("area_type") == "ccg").select(
        "area_code", pl.col("area_name").alias("former_name"))
    rank = {t: i for i, t in enumerate(PROFILE_TYPES)}
    frame = (areas.join(ccg_names, on="area_code", how="left")
             .with_columns(
                 pl.when(pl.col("area_type") == "sub_icb").then(pl.col("former_name")).alias("former_name"),
                 pl.col("valid_to").is_null().alias("is_current"),
                 (pl.col("current_code").is_not_null() & (pl.col("current_code") != pl.col("area_code")))
                 .alias("superseded"),
                 pl.col("area_type").replace_strict(rank, return_dtype=pl.Int32).alias("type_rank")))
    place = pl.col("former_name").str.replace(r"^NHS ", "").str.replace(r" CCG$", "")
    frame = frame.with_columns(
        pl.when(pl.col("former_name").is_not_null()).then(place + " (" + pl.col("area_name") + ")")
        .otherwise(pl.col("area_name")).alias("display_name"))
    labels = [_label(r) for r in frame.iter_rows(named=True)]
    frame = frame.with_columns(pl.Series("label", labels, dtype=pl.String))
    frame = frame.with_columns(
        pl.concat_str([pl.col("area_name"), pl.col("former_name").fill_null(""),
                       pl.col("ods_code").fill_null(""), pl.col("area_code")], separator=" ")
        .str.to_lowercase().alias("search_text"))
    return frame.select(
        "area_code", "area_type", "area_name", "display_name", "ods_code", "valid_to", "current_code", "is_current",
        "superseded", "former_name", "label", "search_text", "type_rank", "parent_icb",
        "parent_nhs_region", "parent_region", "parent_utla", "population",
    ).sort("superseded", "type_rank", "area_name")


def _label(row: dict) -> str:
    codes = " · ".join(c for c in (row["ods_code"], row["area_code"]) if c)
    text = f"{row['area_name']} ({codes}), {SHORT_TYPE.get(row['area_type'], row['area_type'])}"
    if row.get("former_name"):
        text += f", formerly {row['former_name']}"
    if row["valid_to"] is not None:
        text += f", until {row['valid_to']:%B %Y}"
    return text


def area_key(code: str, area_type: str) -> str:
    """The picker's option for an area: "sub_icb:E38000232"."""
    return f"{area_type}:{code}"


def split_key(key: str) -> tuple[str, str]:
    area_type, _, code = key.partition(":")
    return code, area_type


def area_row(store: Store, code: str | None, area_type: str | None = None) -> dict | None:
    """The area's row (first kind in PROFILE_TYPES order when `area_type` is not given)."""
    if not code:
        return None
    rows = _rows_by_code(store).get(code, [])
    if area_type:
        rows = [r for r in rows if r["area_type"] == area_type]
    return dict(rows[0]) if rows else None


@per_store
def _rows_by_code(store: Store) -> dict[str, list[dict]]:
    """area_code -> its rows of `area_table` (one per kind), not superseded first, then in
    PROFILE_TYPES order. Read only: `area_row` hands out copies."""
    out: dict[str, list[dict]] = {}
    for row in area_table(store).sort("superseded", "type_rank", maintain_order=True).iter_rows(named=True):
        out.setdefault(row["area_code"], []).append(row)
    return out


def area_name(store: Store, code: str | None) -> str:
    """The name people know the area by (display_name), or the code if we hold no name."""
    if code == ENGLAND:
        return "England"
    return names(store).get(code or "", code or "")


@per_store
def names(store: Store) -> dict[str, str]:
    """area_code -> display name (the first kind in PROFILE_TYPES order wins), every area held."""
    table = area_table(store).sort("superseded", "type_rank")
    out = dict(zip(store.areas()["area_code"], store.areas()["area_name"], strict=True))
    out.update(dict(zip(reversed(table["area_code"].to_list()), reversed(table["display_name"].to_list()),
                        strict=True)))
    return out


@per_store
def labels(store: Store) -> dict[str, str]:
    """Picker option (area_key) -> label, every area a profile can be drawn for."""
    table = area_table(store)
    return {area_key(c, t): lab for c, t, lab in zip(table["area_code"], table["area_type"], table["label"],
                                                     strict=True)}


def search_areas(store: Store, text: str | None, limit: int = 20) -> pl.DataFrame:
    """Areas matching a name, GSS code or ODS code, best first.

    Ranking: exact GSS or ODS code, then exact name, then names starting with the words typed
    (also after a leading "NHS"), then a word of the name starting with them, then anywhere in the
    name or codes. Current areas come before those that were replaced; then the kind of area in
    PROFILE_TYPES order, then the name. '08H', 'E38000232' and 'Bradford' all work.
    """
    table = area_table(store)
    query = re.sub(r"\s+", " ", (text or "").strip().lower())
    if not query:
        return table.head(0).with_columns(pl.lit(0).alias("score"))
    name = pl.col("area_name").str.to_lowercase()
    literal = re.escape(query)
    score = (pl.when((pl.col("area_code").str.to_lowercase() == query)
                     | (pl.col("ods_code").str.to_lowercase() == query)).then(100)
             .when(name == query).then(90)
             .when(name.str.starts_with(query) | name.str.starts_with("nhs " + query)).then(70)
             .when(pl.col("search_text").str.contains(r"\b" + literal)).then(60)
             .when(pl.col("search_text").str.contains(query, literal=True)).then(50)
             .otherwise(0))
    return (table.with_columns(score.alias("score")).filter(pl.col("score") > 0)
            .sort(["score", "superseded", "type_rank", "area_name"], descending=[True, False, False, False])
            .head(limit))


def related_types(store: Store, code: str, area_type: str) -> list[str]:
    """The kinds of area this code is, the chosen kind first (e.g. sub_icb then ccg)."""
    kinds = _kinds_by_code(store).get(code, frozenset())
    return [area_type] + [k for k in PROFILE_TYPES if k in kinds and k != area_type]


@per_store
def _kinds_by_code(store: Store) -> dict[str, frozenset[str]]:
    """area_code -> every kind of area it is in the store's areas."""
    kinds = store.areas().group_by("area_code").agg(pl.col("area_type").unique())
    return {code: frozenset(types) for code, types in kinds.iter_rows()}


@per_store
def parent_of(store: Store, code: str, area_type: str) -> tuple[str | None, str | None]:
    """(parent code, parent kind) for the area: its ICB, NHS region or region, if we know it."""
    row = area_row(store, code, area_type)
    if row is None:
        return None, None
    for column, kind in PARENT_COLUMNS.get(area_type, []):
        parent = row.get(column)
        if parent:
            # An old STP code carries no figures; its successor ICB does.
            prow = area_row(store, parent, kind)
            if prow is not None and prow["current_code"] and prow["current_code"] != parent:
                parent = prow["current_code"]
            return parent, kind
    return None, None


def resolve(store: Store, asked: str | None, area_type: str | None, keep_old: bool = False) -> Resolved:
    """Turn what the link asked for (a code, ODS code or name, and optionally a kind) into an area.

    An unknown text falls back to the best search match, with a notice. A code that was replaced
    (an old CCG, a merged district) leads to its successor with an explanation of what happened,
    unless `keep_old` asks for the old area's own figures.
    """
    out = Resolved(None, None)
    if not asked:
        return out
    row = area_row(store, asked, area_type)
    if row is None and area_type:
        row = area_row(store, asked)
        if row is not None:
            out.notices.append(f"{row['area_name']} is not {_a(SHORT_TYPE.get(area_type, area_type))}; "
                               f"showing it as {_a(SHORT_TYPE[row['area_type']])}.")
    if row is None:
        hits = search_areas(store, asked, limit=1)
        if hits.is_empty():
            out.notices.append(f"No area matches {asked[:40]!r}; choose one from the list.")
            return out
        row = hits.row(0, named=True)
        if row["score"] < 90:
            out.notices.append(f"No area is called {asked[:40]!r} exactly; showing the closest match, "
                               f"{row['area_name']}.")
    code, kind = row["area_code"], row["area_type"]
    if row["superseded"]:
        out.history = history.what_happened(code, store.areas(), store.table("area_links"))
        if not keep_old:
            successor = area_row(store, row["current_code"], kind) or area_row(store, row["current_code"])
            if successor is not None:
                out.asked_for = code
                out.moved = (f"{row['area_name']} ({row['ods_code'] or code}) no longer exists. "
                             f"{out.history or ''} Showing its successor, {successor['area_name']}."
                             ).replace("  ", " ")
                code, kind = successor["area_code"], successor["area_type"]
    out.code, out.area_type = code, kind
    return out


def _a(noun: str) -> str:
    """'an ICB', 'a CCG', 'an upper-tier local authority'."""
    return ("an " if noun[:1].lower() in "aeiou" or noun.startswith(("ICB", "NHS")) else "a ") + noun


def type_label(area_type: str | None) -> str:
    return schema.AREA_TYPES.get(area_type or "", area_type or "")
