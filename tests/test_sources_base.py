import polars as pl
import pytest

from explorer import schema
from explorer.sources import discover
from explorer.sources.base import SourceError, StepContext

META = {"id": "demo", "producer": "Demo producer", "title": "Demo", "licence": "OGL",
        "files": ["demo.csv"], "_path": "demo.yaml"}


def _values(rows):
    return pl.DataFrame({"_row": rows, "indicator_id": ["x"] * len(rows),
                         "area_code": ["E92000001"] * len(rows), "area_type": ["england"] * len(rows),
                         "value": [1.0] * len(rows)})


def _rejects(rows):
    return pl.DataFrame({"row_number": rows, "reason": ["bad"] * len(rows), "raw": ["r"] * len(rows)},
                        schema={"row_number": pl.Int64, "reason": pl.String, "raw": pl.String})


def test_record_fills_defaults_and_counts(tmp_path):
    (tmp_path / "demo.csv").write_text("x\n")
    ctx = StepContext(META, raw_dir=tmp_path)
    ctx.record(tmp_path / "demo.csv", _values([2, 2, 3]), _rejects([4]), rows_read=3)
    values, rejects, reports = ctx.result()
    assert values.columns == list(schema.VALUE_SCHEMA)
    assert values["sex"].unique().to_list() == ["Persons"]
    assert values["producer"].unique().to_list() == ["Demo producer"]
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (3, 2, 1)
    assert rejects["source_id"].to_list() == ["demo"]


def test_record_refuses_lost_rows(tmp_path):
    (tmp_path / "demo.csv").write_text("x\n")
    ctx = StepContext(META, raw_dir=tmp_path)
    with pytest.raises(SourceError, match="row accounting does not add up: read 5, loaded 2, rejected 1"):
        ctx.record(tmp_path / "demo.csv", _values([2, 3]), _rejects([4]), rows_read=5)


def test_record_refuses_rows_both_loaded_and_rejected(tmp_path):
    (tmp_path / "demo.csv").write_text("x\n")
    ctx = StepContext(META, raw_dir=tmp_path)
    with pytest.raises(SourceError, match="both loaded and rejected"):
        ctx.record(tmp_path / "demo.csv", _values([2]), _rejects([2]), rows_read=1)


def test_unknown_column_is_an_error(tmp_path):
    (tmp_path / "demo.csv").write_text("x\n")
    ctx = StepContext(META, raw_dir=tmp_path)
    with pytest.raises(ValueError, match="unexpected columns"):
        ctx.record(tmp_path / "demo.csv", _values([2]).with_columns(pl.lit(1).alias("valu")), None, 1)


def test_missing_file_names_the_pattern(tmp_path):
    ctx = StepContext(META, raw_dir=tmp_path)
    with pytest.raises(SourceError, match="demo.csv: no file matches"):
        ctx.files()


def test_every_step_has_metadata_and_run():
    steps = discover()
    assert "ohid_fingertips_native" in steps
    for source_id, module in steps.items():
        assert module.META["id"] == source_id
        assert callable(module.run)
