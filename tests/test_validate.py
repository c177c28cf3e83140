"""`python -m explorer validate` on the real store, and its check of the area profile's tables:
present, with the row counts the build recorded, sorted by area."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from explorer import paths, validate


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
