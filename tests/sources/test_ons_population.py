"""ons_population on the real ONS mid-year estimate files, plus corrupted copies."""

import copy
import csv
import datetime as dt
import shutil

import polars as pl
import pytest

from explorer import paths
from explorer.sources import ons_population as step
from explorer.sources.base import SourceError, StepContext

FOLDER = paths.RAW_DIR / "ons_population"
LTLA19 = "ons_population/ons_mye_population19_ltla19.csv"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_row_accounting_per_file(result):
    _, rejects, reports = result
    got = {r["file"]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
           for r in reports.iter_rows(named=True)}
    assert got == {
        "ons_population/ons_mye_population19_ltla19.csv": (339, 317, 22),
        "ons_population/ons_mye_population19_utla19.csv": (173, 151, 22),
        "ons_population/ons_mye_population20_ltla20.csv": (336, 314, 22),
        "ons_population/ons_mye_population20_utla20.csv": (172, 150, 22),
        "ons_population/ons_ccg21_population_estimates_age_bands.csv": (106, 106, 0),
    }
    # Every reject is a Welsh unitary authority; file line 319 of the LTLA file is Anglesey.
    assert rejects["reason"].str.starts_with("outside England: W06").all()
    anglesey = rejects.filter((pl.col("file") == LTLA19) & (pl.col("row_number") == 319))
    assert anglesey["reason"].to_list() == ["outside England: W06000001 (Isle of Anglesey)"]
    assert reports.filter(pl.col("file") == LTLA19)["release_date"].to_list() == [dt.date(2020, 6, 24)]


def test_county_durham_totals_and_period(result):
    values, _, _ = result
    # ons_mye_population19_ltla19.csv line 2: E06000047,County Durham,530094.0,…
    for tier in ("ltla", "utla"):
        row = one(values, indicator_id="population-total", area_code="E06000047", area_type=tier,
                  period="mid-2019", age="All ages")
        assert row["value"] == 530094.0 and row["status"] == "published"
        assert row["period_type"] == "point"
        assert row["period_start"] == row["period_end"] == dt.date(2019, 6, 30)
    # ons_mye_population20_ltla20.csv line 2: E06000047,County Durham,533149.0,…
    assert one(values, indicator_id="population-total", area_code="E06000047", area_type="ltla",
               period="mid-2020", age="All ages")["value"] == 533149.0


def test_age_bands_are_sums_of_single_years(result):
    values, _, _ = result
    with (FOLDER / "ons_mye_population19_ltla19.csv").open() as fh:
        durham = next(r for r in csv.DictReader(fh) if r["ltla19_code"] == "E06000047")

    def years(first, last):
        return sum(float(durham[str(a)]) for a in range(first, last + 1))

    expected = {"0-15": years(0, 15), "16-64": years(16, 64),
                "65+": years(65, 89) + float(durham["90+"]), "75+": years(75, 89) + float(durham["90+"]),
                "85+": years(85, 89) + float(durham["90+"]), "90+": float(durham["90+"])}
    assert expected["0-15"] == 91146 and expected["65+"] == 110452 and expected["90+"] == 4241
    durham_bands = values.filter(pl.col("indicator_id") == "population-total",
                                 pl.col("area_code") == "E06000047", pl.col("area_type") == "ltla",
                                 pl.col("period") == "mid-2019", pl.col("age") != "All ages")
    assert dict(durham_bands.select("age", "value").rows()) == expected


def test_share_aged_65_plus(result):
    values, _, _ = result
    row = one(values, indicator_id="population-65-plus-share", area_code="E06000047", area_type="ltla",
              period="mid-2019")
    assert (row["count"], row["denominator"]) == (110452.0, 530094.0)
    assert row["value"] == pytest.approx(110452 / 530094 * 100)
    assert not values.filter(pl.col("indicator_id") == "population-65-plus-share",
                             pl.col("area_type") == "ccg").height


def test_ccg_file_bands_and_uncertain_mid_year(result):
    values, _, _ = result
    # Line 2: E38000256,NHS North West London CCG,…,2111469,477394,545053,469388,353328,266306
    nwl = values.filter(pl.col("area_code") == "E38000256")
    assert dict(nwl.select("age", "value").rows()) == {
        "All ages": 2111469, "0-17": 477394, "18-35": 545053, "36-50": 469388, "51-65": 353328,
        "66+": 266306}
    assert nwl["area_type"].unique().to_list() == ["ccg"]
    assert nwl["period"].unique().to_list() == ["mid-2020"]
    assert nwl["note"].str.contains("Mid-year not stated in the file").all()
    # The evidence for mid-2020: the CCG England total equals the mid-2020 LTLA England total.
    ccg_total = values.filter(pl.col("area_type") == "ccg", pl.col("age") == "All ages")["value"].sum()
    ltla_total = values.filter(pl.col("indicator_id") == "population-total", pl.col("area_type") == "ltla",
                               pl.col("period") == "mid-2020", pl.col("age") == "All ages")["value"].sum()
    assert ccg_total == ltla_total == 56550138


def test_tiers_hold_the_right_codes(result):
    values, _, _ = result
    prefixes = dict(values.group_by("area_type").agg(pl.col("area_code").str.slice(0, 3).unique().sort())
                    .rows())
    assert prefixes == {"ltla": ["E06", "E07", "E08", "E09"], "utla": ["E06", "E08", "E09", "E10"],
                        "ccg": ["E38"]}
    # Known gap in the copied mid-2020 upper-tier file: Northamptonshire has no row.
    northants = values.filter(pl.col("area_code") == "E10000021", pl.col("age") == "All ages",
                              pl.col("indicator_id") == "population-total")
    assert northants["period"].to_list() == ["mid-2019"]


def _copy_with(tmp_path, name, edit):
    target = tmp_path / "ons_population" / name
    target.parent.mkdir(exist_ok=True)
    target.write_text(edit((FOLDER / name).read_text()))
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"ons_population/{name}"]
    return StepContext(meta, raw_dir=tmp_path)


def test_single_years_that_do_not_add_up_and_text_cells_are_rejected(tmp_path):
    def edit(text):
        lines = text.splitlines(keepends=True)
        lines[1] = lines[1].replace("530094.0,4890.0,", "530094.0,4891.0,", 1)  # County Durham age 0
        cells = lines[2].split(",")
        cells[2] = "about 100k"  # the second area's total_population becomes text
        lines[2] = ",".join(cells)
        return "".join(lines)

    ctx = _copy_with(tmp_path, "ons_mye_population19_ltla19.csv", edit)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    reasons = dict(rejects.select("row_number", "reason").rows())
    assert reasons[2] == "single years of age add to 530095.0, not total_population 530094.0"
    assert reasons[3] == "a population cell holds text that is not a number"
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (339, 315, 24)
    assert not values.filter(pl.col("area_code").is_in(["E06000047", "E06000005"])).height


def test_missing_age_column_or_unknown_file_stops_the_build(tmp_path):
    ctx = _copy_with(tmp_path, "ons_mye_population20_utla20.csv",
                     lambda text: text.replace(",45,46,", ",45,4six,", 1))
    with pytest.raises(SourceError, match=r"columns not 0 … 89 and 90\+; missing \['46'\]"):
        step.run(ctx)
    shutil.copy(FOLDER / "ons_mye_population20_utla20.csv", tmp_path / "ons_population" / "population.csv")
    meta = copy.deepcopy(step.META)
    meta["files"] = ["ons_population/population.csv"]
    with pytest.raises(SourceError, match="file name is neither"):
        step.run(StepContext(meta, raw_dir=tmp_path))
