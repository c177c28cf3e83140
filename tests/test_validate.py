"""`python -m explorer validate` on the real store, and its checks of the area profile's tables
(present, with the row counts the build recorded, sorted by area) and of the area-sorted copy of
the values (every value once, sorted by area, with its index)."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from explorer import paths, validate, values_by_area


@pytest.fixture
def copy(store, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(store.path, root, ignore=shutil.ignore_patterns("boundaries"))
    return root


def _profile_lines(report: validate.Report) -> dict[str, bool]:
    return {check: ok for ok, check, _ in report.lines if "profile" in check}


def test_the_built_store_passes(store):
    report = validate.validate(store.path)
    assert report.ok, report.text()
    assert len(_profile_lines(report)) == 3


def test_missing_or_unsorted_profile_tables_fail(copy):
    (copy / paths.PROFILE_SPREAD).unlink()
    lines = _profile_lines(validate.validate(copy))
    assert lines == {"the area profile's tables were written": False}


def test_profile_rows_must_match_the_manifest_and_be_sorted_by_area(copy):
    head = pl.read_parquet(copy / paths.PROFILE_HEADLINE)
    head.sort("indicator_id").write_parquet(copy / paths.PROFILE_HEADLINE)
    lines = _profile_lines(validate.validate(copy))
    assert lines["profile tables hold the rows the build wrote (manifest)"] is True
    assert lines["profile_headline.parquet sorted by area_code then period_start (so reads by area prune)"] is False
    manifest = json.loads((copy / paths.MANIFEST).read_text())
    manifest["profile_rows"][paths.PROFILE_ENGLAND] += 1
    (copy / paths.MANIFEST).write_text(json.dumps(manifest))
    assert _profile_lines(validate.validate(copy))["profile tables hold the rows the build wrote (manifest)"] is False


def _area_copy_lines(report: validate.Report) -> dict[str, bool]:
    return {check: ok for ok, check, _ in report.lines if values_by_area.FILE in check}


def test_the_area_copy_must_hold_every_value_sorted_by_area(copy):
    file = copy / values_by_area.FILE
    rows = pl.read_parquet(file)
    metadata = {values_by_area.INDEX_KEY: pl.read_parquet_metadata(file)[values_by_area.INDEX_KEY]}
    written, count, same, ordered = (f"{values_by_area.FILE} was written (the values sorted by area)",
                                     f"{values_by_area.FILE} holds as many rows as values.parquet",
                                     f"{values_by_area.FILE} holds the rows of values.parquet, each once (by _row)",
                                     f"{values_by_area.FILE} sorted by area_code then _row, its footer index matching")
    assert _area_copy_lines(validate.validate(copy)) == {written: True, count: True, same: True, ordered: True}
    rows.slice(1).write_parquet(file, metadata=metadata)  # one value missing
    assert _area_copy_lines(validate.validate(copy)) == {written: True, count: False, same: False, ordered: False}
    rows.with_columns(pl.col("value") * 2).write_parquet(file, metadata=metadata)  # not the same values
    assert _area_copy_lines(validate.validate(copy)) == {written: True, count: True, same: False, ordered: True}
    rows.sort("_row").write_parquet(file, metadata=metadata)  # store order, not area order
    assert _area_copy_lines(validate.validate(copy)) == {written: True, count: True, same: True, ordered: False}
    rows.write_parquet(file)  # no index in the footer
    assert _area_copy_lines(validate.validate(copy))[ordered] is False
    file.unlink()
    assert _area_copy_lines(validate.validate(copy)) == {written: False}


@pytest.mark.parametrize("name", [paths.PROFILE_LATEST, paths.PROFILE_PEERS])
def test_the_latest_and_peer_value_files_are_checked_like_the_others(copy, name):
    manifest = json.loads((copy / paths.MANIFEST).read_text())
    manifest["profile_rows"][name] -= 1
    (copy / paths.MANIFEST).write_text(json.dumps(manifest))
    assert _profile_lines(validate.validate(copy))["profile tables hold the rows the build wrote (manifest)"] is False
    (copy / name).unlink()
    assert _profile_lines(validate.validate(copy)) == {"the area profile's tables were written": False}
