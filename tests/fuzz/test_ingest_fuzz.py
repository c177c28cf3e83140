"""Ingestion fuzzing: real source steps run on damaged copies of the real raw files.

Each example copies a real producer file into a temporary raw directory, damages it (rows
duplicated, unknown area codes, cells garbled, columns added, dropped or renamed, the file cut at a
random byte, bytes flipped, re-encoded as UTF-16 or latin-1; for workbooks: the header row removed
or moved, the file truncated) and runs the step with `StepContext(meta, raw_dir=tmp)`. The oracle
(`mutations.check`): either a SourceError whose message starts with the file's name (and the sheet
where there is one), or, for every file, rows read = rows loaded + rows rejected, every reject with
a reason, no unknown area code loaded, no key loaded twice and no non-finite number. Any other
exception fails the test: it is a bug in the step or the readers.

That a build killed midway leaves the previous store readable and unchanged is tested by killing
a real build: tests/test_build.py::test_killed_build_leaves_the_previous_store_readable.

Examples are few (25-40 per step), derandomized and without deadline, so the run is repeatable and
stays around a minute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.sources import mhclg_imd, nhsd_iapt, nhsd_qof, nhse_ae_icb, ohid_fingertips_native, ons_subnational
from explorer.sources.base import SourceError
from tests.fuzz import mutations as m

FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=30,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INDEX = st.integers(min_value=0, max_value=10**6)
COLUMN_NAMES = st.sampled_from(["Value", "AREACD", "Area Code", "date", "value", "x", "", "\ufeffAREACD",
                                "Register", "Prevalence (%)", "List size", "2019-20", "IMD - Average score",
                                "<b>Value</b>"]) | st.text(max_size=12)
CELL_TEXT = st.sampled_from(m.GARBAGE) | st.text(max_size=16)

RECORD_OPS = st.one_of(
    st.tuples(st.just("duplicate"), INDEX),
    st.tuples(st.just("unknown_code"), INDEX, st.sampled_from(m.UNKNOWN_CODES)),
    st.tuples(st.just("garble_cell"), INDEX, st.integers(0, 120), CELL_TEXT),
    st.tuples(st.just("add_column"), INDEX, COLUMN_NAMES),
    st.tuples(st.just("drop_column"), INDEX),
    st.tuples(st.just("rename_column"), INDEX, COLUMN_NAMES),
    st.tuples(st.just("short_row"), INDEX),
    st.tuples(st.just("drop_rows"), INDEX),
)
BYTE_OPS = st.one_of(
    st.none(),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.lists(st.tuples(INDEX, st.integers(0, 255)), min_size=1, max_size=6)),
    st.tuples(st.just("encode"), st.sampled_from(m.ENCODINGS)),
    st.tuples(st.just("nul"), st.integers(1, 5)),
)
GRID_OPS = st.one_of(
    st.tuples(st.just("remove_header"), INDEX),
    st.tuples(st.just("blank_header"), INDEX),
    st.tuples(st.just("shift_rows"), INDEX),
    st.tuples(st.just("duplicate"), INDEX),
    st.tuples(st.just("unknown_code"), INDEX, st.sampled_from(m.UNKNOWN_CODES)),
    st.tuples(st.just("garble_cell"), INDEX, st.integers(0, 120), CELL_TEXT),
    st.tuples(st.just("drop_column"), INDEX),
    st.tuples(st.just("rename_column"), INDEX, COLUMN_NAMES),
    st.tuples(st.just("add_column"), INDEX, COLUMN_NAMES),
    st.tuples(st.just("drop_rows"), INDEX),
)

# step, real file (relative to data/raw), preamble lines above the header, area code column
CSV_STEPS = {
    "ohid_fingertips_native": (ohid_fingertips_native, "ohid_fingertips_native/indicators-CountyUA.data.csv",
                               0, "Area Code"),
    "ons_subnational": (ons_subnational, "ons_subnational_indicators/subnational_indicators_machine_readable.csv",
                        2, "AREACD"),
    "nhsd_iapt": (nhsd_iapt, "humaniverse_healthyr/england_sicb_iapt.csv", 0, "sicbl22_code"),
    "nhse_ae_icb": (nhse_ae_icb, "humaniverse_healthyr/england_icb_accidents_emergency.csv", 0, "icb22_code"),
}
_DOCS: dict[str, m.CsvDoc] = {}


def _doc(step_id: str) -> m.CsvDoc:
    if step_id not in _DOCS:
        _, relative, preamble, _ = CSV_STEPS[step_id]
        _DOCS[step_id] = m.CsvDoc.read(m.raw(relative), preamble)
    return _DOCS[step_id]


def _fuzz_csv(step_id: str, record_ops: list[tuple], byte_op: tuple | None) -> None:
    module, relative, _, code_column = CSV_STEPS[step_id]
    doc, injected = m.mutate_records(_doc(step_id), record_ops, code_column)
    text = doc.text()
    data = m.mutate_bytes(text.encode("utf-8"), text, byte_op)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        outcome = m.run(module, m.step_meta(module, [relative]), Path(tmp))
        m.check(outcome, [path], injected)


@pytest.mark.parametrize("step_id", list(CSV_STEPS))
@FUZZ
@given(record_ops=st.lists(RECORD_OPS, max_size=4), byte_op=BYTE_OPS)
def test_csv_step_survives_damaged_copies(step_id, record_ops, byte_op):
    _fuzz_csv(step_id, record_ops, byte_op)


# Workbooks: a few real sheets copied into a small workbook (the whole QOF workbook takes seconds
# to read), each sheet damaged on its own.
XLSX_STEPS = {
    "nhsd_qof_2019_20": (nhsd_qof, "nhsd_qof_ccg/qof-1920-prev-ach-pca-ccg.xlsx", ("DM", "BP"),
                         "CCG ONS code", "nhsd_qof_ccg/qof-1920-prev-ach-pca-ccg.xlsx"),
    "nhsd_qof_2014_15": (nhsd_qof, "nhsd_qof_ccg/qof-1415-ccg-all.xlsx", ("OST",),
                         "CCG Geography code", "nhsd_qof_ccg/qof-1415-ccg-all.xlsx"),
    "mhclg_imd": (mhclg_imd, "mhclg_imd_ccg/IMD_CCG_2019.xlsx", ("IMD", "Income"),
                  "Clinical Commissioning Group Code", "mhclg_imd_ccg/IMD_CCG_2019.xlsx"),
}
_GRIDS: dict[tuple[str, str], tuple[list, int, int | None]] = {}


def _grid(source: str, sheet: str, label: str) -> tuple[list, int, int | None]:
    """The real sheet as a grid, its header row and its area code column."""
    if (source, sheet) not in _GRIDS:
        grid = m.sheet_grid(m.raw(source), sheet)
        header = next(i for i, row in enumerate(grid) if any(c and label.lower() in c.lower() for c in row))
        code = next(j for j, c in enumerate(grid[header]) if c and label.lower() in c.lower())
        _GRIDS[(source, sheet)] = (grid, header, code)
    return _GRIDS[(source, sheet)]


@pytest.mark.parametrize("case", list(XLSX_STEPS))
@settings(FUZZ, max_examples=20)
@given(data=st.data(), truncate=st.none() | st.floats(0, 1))
def test_workbook_step_survives_damaged_copies(case, data, truncate):
    module, source, sheets, label, relative = XLSX_STEPS[case]
    damaged, injected = {}, set()
    for sheet in sheets:
        grid, header, code = _grid(source, sheet, label)
        ops = data.draw(st.lists(GRID_OPS, max_size=3), label=sheet)
        damaged[sheet], codes = m.mutate_grid(grid, ops, header, code)
        injected |= codes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / relative
        path.parent.mkdir(parents=True)
        m.write_workbook(path, damaged)
        if truncate is not None:
            path.write_bytes(path.read_bytes()[: int(path.stat().st_size * truncate)])
        outcome = m.run(module, m.step_meta(module, [relative]), Path(tmp))
        m.check(outcome, [path], injected)
        if outcome.error is None:
            # A data sheet is never skipped in silence: it is recorded, or the step stops.
            recorded = set(outcome.reports["file"].to_list())
            assert any(f"#{sheets[0]}" in f for f in recorded), recorded


# Named cases the issue lists, each with its expected outcome --------------------------------------

def _run_on(module, relative: str, data: bytes, tmp_path: Path) -> m.Outcome:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return m.run(module, m.step_meta(module, [relative]), tmp_path)


def test_ons_subnational_utf8_copy_of_the_latin1_file_loads_the_same(tmp_path):
    relative = CSV_STEPS["ons_subnational"][1]
    original = m.raw(relative).read_bytes()
    assert b"\xa3" in original  # the published file is latin-1 ('£' as 0xA3)
    as_published = _run_on(ons_subnational, relative, original, tmp_path / "a")
    as_utf8 = _run_on(ons_subnational, relative, original.decode("latin-1").encode("utf-8"), tmp_path / "b")
    assert as_published.values.drop("release").equals(as_utf8.values.drop("release"))
    assert as_published.reports["rows_loaded"].item() == as_utf8.reports["rows_loaded"].item() > 3000


def test_ons_subnational_in_utf16_is_a_clear_error(tmp_path):
    relative = CSV_STEPS["ons_subnational"][1]
    text = m.raw(relative).read_bytes().decode("latin-1")
    outcome = _run_on(ons_subnational, relative, text.encode("utf-16"), tmp_path)
    assert isinstance(outcome.error, SourceError)
    assert str(outcome.error).startswith("subnational_indicators_machine_readable.csv: no header line")


def test_ons_subnational_without_its_preamble_still_loads(tmp_path):
    relative = CSV_STEPS["ons_subnational"][1]
    lines = m.raw(relative).read_bytes().split(b"\n")
    outcome = _run_on(ons_subnational, relative, b"\n".join(lines[2:]), tmp_path)
    assert outcome.error is None and outcome.reports["rows_loaded"].item() > 3000


def test_truncated_qof_workbook_is_a_clear_error(tmp_path):
    relative = "nhsd_qof_ccg/qof-1920-prev-ach-pca-ccg.xlsx"
    data = m.raw(relative).read_bytes()
    outcome = _run_on(nhsd_qof, relative, data[: len(data) // 2], tmp_path)
    assert str(outcome.error).startswith("qof-1920-prev-ach-pca-ccg.xlsx: not a readable Excel workbook")


def test_qof_sheet_without_its_header_row_names_file_and_sheet(tmp_path):
    relative = XLSX_STEPS["nhsd_qof_2019_20"][4]
    grid, header, code = _grid(XLSX_STEPS["nhsd_qof_2019_20"][1], "DM", "CCG ONS code")
    damaged, _ = m.mutate_grid(grid, [("remove_header", 0)], header, code)
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    m.write_workbook(path, {"DM": damaged})
    outcome = m.run(nhsd_qof, m.step_meta(nhsd_qof, [relative]), tmp_path)
    assert str(outcome.error).startswith("qof-1920-prev-ach-pca-ccg.xlsx, sheet 'DM': a 'Prevalence' section")


def test_imd_sheet_without_its_header_row_names_file_and_sheet(tmp_path):
    relative = XLSX_STEPS["mhclg_imd"][4]
    grid, header, code = _grid(relative, "IMD", "Clinical Commissioning Group Code")
    damaged, _ = m.mutate_grid(grid, [("remove_header", 0)], header, code)
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    m.write_workbook(path, {"IMD": damaged})
    outcome = m.run(mhclg_imd, m.step_meta(mhclg_imd, [relative]), tmp_path)
    assert str(outcome.error) == ("IMD_CCG_2019.xlsx, sheet 'IMD': no header row containing "
                                  "['Clinical Commissioning Group Code']")


def test_duplicated_row_is_rejected_with_both_row_numbers(tmp_path):
    module, relative, _, code_column = CSV_STEPS["ohid_fingertips_native"]
    doc, _ = m.mutate_records(_doc("ohid_fingertips_native"), [("duplicate", 10)], code_column)
    outcome = _run_on(module, relative, doc.text().encode(), tmp_path)
    clashes = outcome.rejects.filter(outcome.rejects["reason"].str.starts_with("duplicate: rows "))
    assert clashes.height == 2
    assert clashes["reason"].n_unique() == 1 and clashes["row_number"].to_list()[0] in range(2, 40)
    report = outcome.reports.row(0, named=True)
    assert report["rows_read"] == report["rows_loaded"] + report["rows_rejected"]


@pytest.mark.parametrize(("step_id", "code"), [("ohid_fingertips_native", "E06999999"),
                                               ("ons_subnational", "E07999999"),
                                               ("ohid_fingertips_native", "")])
def test_unknown_area_code_is_rejected_with_the_reason(tmp_path, step_id, code):
    module, relative, _, code_column = CSV_STEPS[step_id]
    base = _doc(step_id)
    target = next(i for i, r in enumerate(base.rows) if r[base.header.index(code_column)].startswith(code[:3] or "E06")
                  and (step_id != "ons_subnational" or "life satisfaction" in r[base.header.index("Indicator")]))
    doc, _ = m.mutate_records(base, [("unknown_code", target, code)], code_column)
    outcome = _run_on(module, relative, doc.text().encode(), tmp_path)
    assert f"unknown area code '{code}' (not in the ONS lookups)" in outcome.rejects["reason"].to_list()
    assert code not in outcome.values["area_code"].to_list()


def test_infinite_and_nan_cells_are_rejected_not_stored(tmp_path):
    module, relative, _, code_column = CSV_STEPS["nhse_ae_icb"]
    base = _doc("nhse_ae_icb")
    column = base.header.index("total_attendances")
    doc, _ = m.mutate_records(base, [("garble_cell", 0, column, "1e999"), ("garble_cell", 1, column, "NaN")],
                              code_column)
    outcome = _run_on(module, relative, doc.text().encode(), tmp_path)
    assert outcome.rejects.filter(outcome.rejects["row_number"].is_in([2, 3]))["reason"].to_list() == [
        "a numeric column holds text that is not a number"] * 2
    assert outcome.values["value"].drop_nulls().is_finite().all()
